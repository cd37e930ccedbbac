from nmt_assess.cli.app import main

main()
