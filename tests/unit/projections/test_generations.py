"""The read models' version goes with the shape of their tables."""

from services.projections import generations

# The fingerprint of read_models.sql at each generations.VERSION. When its tables change, raise VERSION (each
# service then rebuilds a generation of the lower version by itself) and record the new fingerprint here.
SHAPES = {
    1: "1d95d92d1b4e18d5",
    2: "f381fb2d26e2afcf",
    3: "4d7c00af5c84bafa",
    4: "1d297de3705f8747",
    5: "d853679d26e91c21",
    6: "60ad9b7b56b6a95d",
}


def test_a_change_of_the_read_models_tables_comes_with_a_new_version() -> None:
    assert SHAPES.get(generations.VERSION) == generations.shape(), (
        "read_models.sql changed: raise generations.VERSION and record its shape in SHAPES"
    )


def test_only_a_generation_of_a_lower_version_is_rebuilt_by_this_code() -> None:
    def generation(version: int, shape: str) -> generations.Generation:
        return generations.Generation(1, "read_models_g1", "read-models", "g", "active", shape, version)

    older = generation(generations.VERSION - 1, "another")
    newer = generation(generations.VERSION + 1, "another")
    same = generation(generations.VERSION, generations.shape())
    assert (older.older, older.current) == (True, False)
    assert (newer.older, newer.current) == (False, False)
    assert (same.older, same.current) == (False, True)
