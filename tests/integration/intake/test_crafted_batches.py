"""A crafted batch file cannot take intake down (issue 12, 5): 422 in Chinese, read off the loop.

The parser's bounds are held by its unit tests (tests/unit/intake/test_spreadsheet.py: the memory each refusal
allocates, the read's time budget); here, that the service answers them and keeps serving meanwhile."""

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.unit.intake import crafted

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def upload(client: httpx.AsyncClient, content: bytes) -> httpx.Response:
    return await client.post(
        "/v1/batches", data={"source": "central_inspection"}, files={"file": ("交办表.xlsx", content, XLSX)}
    )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (crafted.full_width_rows, "文件中没有内容"),
        (crafted.zip_bomb, "解压后超过"),
        (crafted.lying_zip_bomb, "无法读取"),
    ],
    ids=["1500 full-width rows", "zip bomb", "lying zip bomb"],
)
async def test_a_crafted_file_gets_422_in_chinese(
    client: httpx.AsyncClient, make: Callable[[], bytes], expected: str
) -> None:
    answer = await upload(client, make())
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "file"
    assert expected in answer.json()["error"]["message"]


async def test_the_public_form_is_served_while_a_batch_file_is_being_read(client: httpx.AsyncClient) -> None:
    rows = crafted.header_row() + crafted.problem_rows(2, 5200)
    content = crafted.workbook_with({crafted.SHEET: crafted.sheet(rows)})
    reading = asyncio.create_task(upload(client, content))
    await asyncio.sleep(0.05)
    page = await client.get("/report")
    assert page.status_code == 200
    assert not reading.done(), "the form waited for the batch file"
    answer = await reading
    assert answer.status_code == 422 and "一次最多导入 5000 行" in answer.json()["error"]["message"]
