from tongxin.cli import main

main()
