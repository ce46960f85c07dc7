"""python -m hotline"""

from hotline.cli.main import main

main()
