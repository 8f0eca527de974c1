"""Seed 004's indicator table in the XLSX, with its definitions, read back
for a generated year of Xã Trà Bồng (bench/seed004_year.py; issue 16)."""

from __future__ import annotations

from bench import seed004_year
from tests.storage.helpers import tra_bong


async def test_the_plans_table_reads_back_with_its_definitions(session):
    commune, _province = await tra_bong(session)
    made = await seed004_year.generate(session, commune, seed=4)
    lines = await seed004_year.table(session, commune, "vi")
    by_label = {
        content: (target, achieved, definition)
        for content, target, achieved, _r, definition in lines
    }
    assert list(by_label) == [
        "Tổ/nhóm sinh kế có phụ nữ làm chủ ứng dụng công nghệ 4.0",
        "Đối thoại chính sách cấp xã và cụm thôn (2 huyện + 19 xã)",
        "CLB “Thủ lĩnh của sự thay đổi” được thành lập",
        "Địa chỉ tin cậy được củng cố hoặc thành lập mới",
        "Phụ nữ nhóm dân tộc có tỷ lệ sinh con tại nhà cao được tuyên truyền",
        "Lớp tập huấn giám sát và đánh giá bình đẳng giới",
        "Lớp tập huấn lồng ghép giới (Chương trình 3)",
    ]
    values = {label: (target, achieved) for label, (target, achieved, _d) in by_label.items()}
    assert values == {
        "Tổ/nhóm sinh kế có phụ nữ làm chủ ứng dụng công nghệ 4.0": (2, made["groups"]),
        "Đối thoại chính sách cấp xã và cụm thôn (2 huyện + 19 xã)": (21, made["dialogues"]),
        # 40 club meetings were logged; the plan counts clubs established in the year.
        "CLB “Thủ lĩnh của sự thay đổi” được thành lập": (3, made["clubs"]),
        "Địa chỉ tin cậy được củng cố hoặc thành lập mới": (4, made["addresses"]),
        "Phụ nữ nhóm dân tộc có tỷ lệ sinh con tại nhà cao được tuyên truyền": (
            80,
            made["home_birth_women"],
        ),
        "Lớp tập huấn giám sát và đánh giá bình đẳng giới": (2, made["supervision"]),
        "Lớp tập huấn lồng ghép giới (Chương trình 3)": (4, made["programme3"]),
    }
    share = by_label["Phụ nữ nhóm dân tộc có tỷ lệ sinh con tại nhà cao được tuyên truyền"][2]
    assert "mẫu số: dân số được nhập cho địa bàn (600)" in share
    assert "Lượt tham gia không phải là số người" in share
    clubs = by_label["CLB “Thủ lĩnh của sự thay đổi” được thành lập"][2]
    assert "trong sổ theo dõi có ngày thành lập trong kỳ" in clubs
