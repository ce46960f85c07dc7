"""Answering-machine detection on answered campaign calls (R-085): the parameters of
Asterisk's AMD() (rendered into amd.conf), tuned on Russian greetings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class AmdSettings(BaseModel):
    """Asterisk's defaults call a live «Да, слушаю» a machine (two words reach the word
    limit of 2); these values were tuned on the project's TTS rendering of a live «Алло»,
    «Да, слушаю», a voicemail greeting and an operator's «абонент недоступен» announcement
    (tests/e2e/test_amd_calls.py).  All lengths are milliseconds."""

    model_config = SECTION_CONFIG

    # run AMD() before the scenario plays; off: every answer counts as a person.
    enabled: bool = True
    # Silence after the answer before any voice: longer means a machine (a person says
    # «Алло» at once).
    initial_silence: int = Field(default=2500, gt=0)
    # Voice in total longer than this is a machine's greeting (a person's «Алло, да, слушаю»
    # is under 1.5 s; a voicemail greeting or an operator's announcement runs several seconds).
    greeting: int = Field(default=1800, gt=0)
    # Silence after the first words longer than this: a person waiting for an answer.
    after_greeting_silence: int = Field(default=800, gt=0)
    # Decide within this much time; undecided is NOTSURE (played as to a person).
    total_analysis_time: int = Field(default=5000, gt=0)
    # Voice shorter than this is noise, not a word.
    min_word_length: int = Field(default=100, gt=0)
    # Silence that separates two words (Asterisk's 50 ms splits «слушаю» in two).
    between_words_silence: int = Field(default=80, gt=0)
    # This many words is a machine (Asterisk's 2 would make «Да, слушаю» one).
    maximum_number_of_words: int = Field(default=5, gt=0)
    # Energy below this is silence (0-32767).
    silence_threshold: int = Field(default=256, ge=0, le=32767)
    # One word longer than this is a machine (a tone, a long announcement).
    maximum_word_length: int = Field(default=5000, gt=0)
    # Leaving the message on a machine (rules `answering_machine: leave_message`): wait for
    # this much silence after the greeting (the beep), at most ``beep_timeout`` seconds.
    beep_silence: int = Field(default=1500, gt=0)
    beep_timeout: float = Field(default=20.0, gt=0)
