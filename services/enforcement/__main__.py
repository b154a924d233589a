from services.enforcement.main import main

main()
