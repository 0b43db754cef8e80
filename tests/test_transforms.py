"""The transforms a profile may name, case by case."""

from zoneinfo import ZoneInfo

import pytest

from connector.mapping import transforms as T
from connector.mapping.tables import CodeTable, NationalCategories, RegionIndex


class Ctx:
    tz = ZoneInfo("Asia/Makassar")
    regions = RegionIndex.load()
    categories = NationalCategories.load()

    def lookup(self, table, value):
        return CodeTable("t", {"Jalan": "pupr"}).lookup(value)[0]


def run(name, value, arg=None):
    return T.REGISTRY[name].fn(value, arg, Ctx())


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("(0511) 4772-500", "+625114772500"),
        ("81234567890", "+6281234567890"),
        ("0062 812 3456 7890", "+6281234567890"),
        ("+1 202 555 0143", "+12025550143"),
    ],
    ids=[
        "08-dashes",
        "62-prefix",
        "plus62-spaces",
        "landline-parens",
        "bare-8",
        "00-prefix",
        "foreign",
    ],
)
def test_phone_numbers_become_e164(raw, expected):
    assert run("phone_e164", raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["08-12ab", "12345", "", "+62 81", "phone: none"],
    ids=["letters", "too-short", "empty", "short-62", "words"],
)
def test_bad_phone_numbers_are_errors(raw):
    with pytest.raises(T.TransformError, match="phone number|Indonesian"):
        run("phone_e164", raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ya", True),
        ("Tidak", False),
        ("1", True),
        (0, False),
        (1, True),
        ("TRUE", True),
        ("no", False),
        (True, True),
    ],
)
def test_booleans_from_indonesian_and_numbers(raw, expected):
    assert run("boolean", raw) is expected


@pytest.mark.parametrize("raw", ["mungkin", "2", "yess"])
def test_unclear_booleans_are_errors_not_guesses(raw):
    with pytest.raises(T.TransformError, match="yes/no"):
        run("boolean", raw)


def test_datetime_without_offset_is_read_in_the_profile_zone():
    assert (
        run("datetime", "2026-03-12 09:15:00", "%Y-%m-%d %H:%M:%S") == "2026-03-12T09:15:00+08:00"
    )
    assert run("datetime", "2026-03-12T09:15:00+07:00") == "2026-03-12T09:15:00+07:00"


@pytest.mark.parametrize(
    "raw, fmt", [("31/02/2026 25:61", "%Y-%m-%d %H:%M:%S"), ("kemarin sore", None)]
)
def test_unparseable_datetimes_name_the_expected_form(raw, fmt):
    with pytest.raises(T.TransformError, match="is not a date and time in the form"):
        run("datetime", raw, fmt)


def test_dates():
    assert run("date", "12/03/2026", "%d/%m/%Y") == "2026-03-12"
    with pytest.raises(T.TransformError, match="%d/%m/%Y"):
        run("date", "2026-13-45", "%d/%m/%Y")


@pytest.mark.parametrize(
    "text, code",
    [
        ("Jl. A. Yani Km 5, Kec. Landasan Ulin, Kota Banjarbaru", "63.72"),
        ("Banjar Baru, dekat bundaran", "63.72"),
        ("Jl. Banjarmasin No. 3, Kota Banjarbaru", "63.72"),
        ("Kelurahan Kuin, Kota Banjarmasin", "63.71"),
        ("Desa Sungai Tabuk, Kab. Banjar", "63.03"),
        ("Martapura", "63.03"),
        ("Kota Baru, Pulau Laut", "63.02"),
        ("Kotabaru", "63.02"),
        ("Pasar Kandangan, Hulu Sungai Selatan", "63.06"),
        ("Barabai", "63.07"),
        ("Kabupaten Tabalong", "63.09"),
        ("Batulicin, Tanah Bumbu", "63.10"),
        ("Paringin, Balangan", "63.11"),
        ("Pelaihari, Tanah Laut", "63.01"),
        ("Marabahan, Barito Kuala", "63.04"),
        ("Kab. Tapin", "63.05"),
        ("Amuntai", "63.08"),
        ("Kalimantan Selatan", "63"),
    ],
)
def test_region_names_and_variants_give_kemendagri_codes(text, code):
    assert run("region", text) == code


def test_text_without_a_region_is_an_error():
    with pytest.raises(T.TransformError, match="names no known region"):
        run("region", "di depan rumah saya")


def test_region_code_gets_its_dots():
    assert run("region_code", "6372") == "63.72"
    assert run("region_code", "63.72.01") == "63.72.01"
    with pytest.raises(T.TransformError):
        run("region_code", "637")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Budi@Mail.CO.ID", "Budi@mail.co.id"),
        (" siti.aminah+lapor@gmail.com ", "siti.aminah+lapor@gmail.com"),
    ],
)
def test_emails(raw, expected):
    assert run("email", raw) == expected


@pytest.mark.parametrize(
    "raw", ["budi@@mail", "budi", "budi@mail", "a..b@mail.com", "budi@-mail.com"]
)
def test_bad_emails_are_errors(raw):
    with pytest.raises(T.TransformError, match="email"):
        run("email", raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\foto.jpg", "foto.jpg"),
        ("a\x00b\x1f.jpg", "ab.jpg"),
        (".hidden", "hidden"),
    ],
)
def test_filenames_lose_folders_and_control_characters(raw, expected):
    assert run("filename", raw) == expected


def test_trim_collapses_and_empties():
    assert run("trim", "  Jalan   rusak \n parah ") == "Jalan rusak parah"
    assert run("trim", "   ") is None


def test_first_words_marks_the_cut():
    assert run("first_words", "satu dua tiga empat", 2) == "satu dua …"
    assert run("first_words", "satu dua", 5) == "satu dua"


def test_digits_checks_the_count():
    assert run("digits", "6371-0412-9000-0001", 16) == "6371041290000001"
    with pytest.raises(T.TransformError, match="has 4 digits, expected 16"):
        run("digits", "1234", 16)


def test_national_category_entries_come_from_the_table():
    assert run("national_category", "kesehatan") == {"code": "kesehatan", "label": "Kesehatan"}
    with pytest.raises(T.TransformError, match="not a national category"):
        run("national_category", "astrologi")


def test_code_table_matches_ignoring_case_and_spacing():
    table = CodeTable("categories", {"Jalan dan Jembatan": "x"}, fallback="other", ignore=["-"])
    assert table.lookup("  jalan   DAN jembatan") == ("x", False)
    assert table.lookup("Pungli") == ("other", True)
    assert table.lookup("-") == (None, False)
    with pytest.raises(T.TransformError, match="not in table 'strict'"):
        CodeTable("strict", {"a": 1}).lookup("b")
