from demo.main import main

main()
