"""python -m hotline.cli"""

from hotline.cli.main import main

main()
