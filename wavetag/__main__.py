from wavetag.cli import main

main()
