from services.cases.main import main

main()
