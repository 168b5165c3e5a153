"""Region codes the ledger and calendar tests use (all seeded by the `make_region_tree` builder)."""
from __future__ import annotations

ZJ, HZ, XH = "330000", "330100", "330106"  # 浙江省 → 杭州市 → 西湖区
BJ = "330108"  # 滨江区
NB, NB_HS = "330200", "330203"  # 宁波市 → 海曙区
HEBEI = "130000"
