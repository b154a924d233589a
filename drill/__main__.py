from drill.main import main

main()
