"""Speech: the prompt catalogue, offline Russian TTS, Asterisk-ready audio and its cache.

``catalogue`` reads ``prompts/catalogue.yaml``; ``tts`` runs RHVoice / espeak-ng / gTTS;
``audio`` turns WAV into 8 kHz ``.sln``/``.alaw``/``.ulaw``; ``library`` builds, caches and
serves the sounds (prompts, readout fragments, composed phrases); ``russian`` reads numbers,
money and dates out in Russian.
"""
