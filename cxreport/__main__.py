from cxreport.cli import main

main()
