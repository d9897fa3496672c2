"""Bulk import declarations of the organisation app."""

from tongxin.core.importer import ModelImporter
from tongxin.org.forms import GridForm
from tongxin.org.models import Grid


class GridImporter(ModelImporter):
    """Grids from a spreadsheet: upsert by community and grid code."""

    model = Grid
    form = GridForm
    key = ("community", "code")
    required_headers = ("community", "code", "name")
    headers = {
        "community": ["所属社区", "社区", "村", "社区/村", "社区代码"],
        "code": ["网格编号", "编号", "网格代码"],
        "name": ["网格名称", "名称", "网格"],
        "members": ["网格员账号", "网格员"],
        "party_member": ["责任党员账号", "责任党员"],
        "description": ["说明", "备注"],
    }
    example = {"community": "城关社区", "code": "G01", "name": "第一网格", "members": "grid1", "description": ""}
