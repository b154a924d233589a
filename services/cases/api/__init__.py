"""Cases' routes, one module per resource, each exporting `router`: the case (its commands and reads), the files
uploaded to it (佐证材料), and the working-day calendar."""
