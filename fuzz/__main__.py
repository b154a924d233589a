from fuzz.main import main

main()
