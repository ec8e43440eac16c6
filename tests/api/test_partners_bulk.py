"""Partners in bulk: POST /api/v1/partners/bulk/ and manage.py import_partners use the partner
import's rules, so a bad row gets the very same message on both paths; all or nothing."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from partners.models import Partner

URL = "/api/v1/partners/bulk/"


def test_bulk_upsert_creates_and_updates_all_or_nothing(world, admin_api):
    rows = [
        {"code": "NEW1", "name": "New One", "partner_type": "reseller", "region": "emea"},
        {"code": "ACME", "name": "Acme Renamed", "partner_type": "Reseller", "manager": "manager"},
    ]
    preview = admin_api.post(URL + "?preview=true", rows, format="json")
    assert preview.json() == {"rows": 2, "new": 1, "changed": 1, "unchanged": 0, "preview": True}
    assert not Partner.objects.filter(code="NEW1").exists()
    answer = admin_api.post(URL, rows, format="json")
    assert answer.status_code == 200
    assert Partner.objects.get(code="ACME").name == "Acme Renamed"
    assert Partner.objects.get(code="NEW1").region.code == "emea"


def test_bad_rows_are_named_by_index_and_field_and_nothing_is_written(world, admin_api):
    rows = [
        {"code": "OK1", "name": "Fine", "partner_type": "reseller"},
        {"code": "bad code", "name": "", "partner_type": "nope", "manager": "acme"},
        {"code": "OK1", "name": "Twice", "partner_type": "reseller", "colour": "red"},
    ]
    answer = admin_api.post(URL, rows, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {
            "index": 2,
            "field": "colour",
            "message": "unknown field 'colour' (expected code, "
            "name, partner_type, region, manager)",
        }
    ]
    del rows[2]["colour"]
    errors = admin_api.post(URL, rows, format="json").json()["errors"]
    assert errors == [
        {
            "index": 1,
            "field": "code",
            "message": "bad partner code 'bad code' (letters, digits, _ - .)",
        },
        {"index": 1, "field": "name", "message": "the name is empty"},
        {"index": 1, "field": "partner_type", "message": "unknown partner type 'nope'"},
        {"index": 1, "field": "manager", "message": "'acme' is not a channel manager's username"},
        {"index": 2, "field": "code", "message": "partner code 'OK1' appears twice in the file"},
    ]
    assert not Partner.objects.filter(code="OK1").exists()


def test_only_admins_bulk_upsert(world, api):
    rows = [{"code": "X1", "name": "X", "partner_type": "reseller"}]
    assert api(world.manager).post(URL, rows, format="json").status_code == 403
    assert api(world.acme_user).post(URL, rows, format="json").status_code == 403
    assert not Partner.objects.filter(code="X1").exists()


def test_the_command_gives_the_api_messages(world, tmp_path, admin_api):
    path = tmp_path / "partners.csv"
    path.write_text("code,name,type,manager\nOK1,Fine,reseller,\nbad code,,nope,acme\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_partners", str(path))
    api_rows = [
        {"code": "OK1", "name": "Fine", "partner_type": "reseller"},
        {"code": "bad code", "name": "", "partner_type": "nope", "manager": "acme"},
    ]
    api_messages = [
        e["message"] for e in admin_api.post(URL, api_rows, format="json").json()["errors"]
    ]
    assert str(caught.value).endswith("line 3: " + "; ".join(api_messages))
    assert not Partner.objects.filter(code="OK1").exists()


def test_the_command_reads_xlsx_and_dry_runs(world, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "type", "region"])
    sheet.append(["XL1", "From Excel", "reseller", "EMEA"])
    path = tmp_path / "partners.xlsx"
    book.save(path)
    out = io.StringIO()
    call_command("import_partners", str(path), "--dry-run", stdout=out)
    assert "1 new, 0 changed, 0 unchanged would be written" in out.getvalue()
    assert not Partner.objects.filter(code="XL1").exists()
    call_command("import_partners", str(path), stdout=out)
    assert Partner.objects.get(code="XL1").region.code == "emea"
