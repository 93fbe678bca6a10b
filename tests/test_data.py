"""engine.io.data: robust CSV reading and one-line errors."""

from __future__ import annotations

import codecs

import numpy as np
import pandas as pd
import pytest

from engine.io.data import DataError, clean_column_names, load_notes, read_csv_bytes, read_csv_path


def test_reads_comma_csv():
    frame = read_csv_bytes(b"a,b,c\n1,2,x\n3,4,y\n")
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame["a"].tolist() == [1, 3]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_detects_delimiter(delimiter):
    raw = delimiter.join(["height", "weight", "label"]) + "\n"
    raw += "\n".join(delimiter.join([str(i), str(i * 2), "a" if i % 2 else "b"]) for i in range(10))
    frame = read_csv_bytes(raw.encode())
    assert list(frame.columns) == ["height", "weight", "label"]
    assert frame["weight"].iloc[3] == 6


def test_semicolon_with_decimal_commas_keeps_columns():
    frame = read_csv_bytes("x;y\n1,5;a\n2,5;b\n".encode())
    assert list(frame.columns) == ["x", "y"]
    assert len(frame) == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_encodings(encoding):
    text = "café,naïve\nrésumé,1\nsœur,2\n" if encoding != "latin-1" else "café,naïve\nrésumé,1\nÿes,2\n"
    frame = read_csv_bytes(text.encode(encoding))
    assert list(frame.columns) == ["café", "naïve"]
    assert frame["café"].iloc[0] == "résumé"


def test_a_western_file_whose_bytes_read_the_same_in_other_code_pages_is_named_windows_1252():
    # Only '€', 'é' and no-break spaces: Windows-1250 reads these bytes as the same text, and charset-normalizer
    # then reports only the code page it tried first ("Central European" for a French sales file).
    lines = ["client;montant;région"] + [f"C{i};{1_000 + i}\u00a0{i % 10}00,50 €;Nord" for i in range(60)]
    frame = read_csv_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    assert load_notes(frame)[0] == ("the file is not UTF-8: it was read as Windows-1252 (Western European) text; "
                                    "check that its letters look right")
    assert frame["région"].iloc[0] == "Nord"


def test_duplicate_and_empty_column_names_made_unique():
    frame = read_csv_bytes(b"a,a,,a\n1,2,3,4\n")
    assert list(frame.columns) == ["a", "a.1", "column_3", "a.2"]


def test_control_characters_stripped_from_names():
    assert clean_column_names(["x\x1fy", " spaced  out ", "tab\tname"]) == ["xy", "spaced out", "tabname"]


def test_infinity_becomes_missing():
    frame = read_csv_bytes(b"a,b\n1,inf\n2,-inf\n3,4\n")
    assert frame["b"].isna().sum() == 2
    assert np.isfinite(frame["b"].dropna()).all()


def test_blank_rows_dropped():
    frame = read_csv_bytes(b"a,b\n1,2\n\n,\n3,4\n")
    assert len(frame) == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"a,b,c\n", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"only\n1\n2\n", "fewer than 2 columns"),
        (b'a,b\n1,"unclosed\n2,3\n', "could not be parsed"),
    ],
)
def test_unusable_input_raises_one_line(raw, message):
    with pytest.raises(DataError) as error:
        read_csv_bytes(raw)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_size_limit():
    with pytest.raises(DataError, match="limit"):
        read_csv_bytes(b"a,b\n" + b"1,2\n" * 100, max_bytes=50)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_csv_path(tmp_path / "absent.csv")


def test_every_sample_reads(sample_paths):
    """Every bundled sample (tables, text, pixel tables, image folders) loads and has a usable guessed target."""
    from engine import load_dataset_path, profile_dataset
    from engine.io import samples

    assert set(sample_paths) <= set(samples.sample_paths()) and len(samples.sample_paths()) >= 8
    for path in samples.sample_paths():
        frame = load_dataset_path(path).frame
        assert frame.shape[0] >= 100 and frame.shape[1] >= 2, path.name
        assert profile_dataset(frame).rows == len(frame), path.name  # the guessed target is usable


# --- hostile encodings, delimiters, rows and numbers (issue 11) ---------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_wide_unicode_encodings(encoding):
    text = "café\tnaïve\nrésumé\t1\nsœur\t2\n"  # Excel's "Unicode text": UTF-16 with BOM, tab-separated
    frame = read_csv_bytes(text.encode(encoding))
    assert list(frame.columns) == ["café", "naïve"]
    assert frame["naïve"].tolist() == [1, 2]


def test_invalid_utf16_after_a_bom_is_a_data_error():
    with pytest.raises(DataError, match="UTF-16"):
        read_csv_bytes(codecs.BOM_UTF16_LE + b"a\x00,\x00b\x00\n\x00\x00\xd8")


def test_header_with_quoted_commas_does_not_mislead_the_delimiter():
    frame = read_csv_bytes('"Height, cm";"Weight, kg";"Label, text"\n1,5;2,5;a\n2,5;3,5;b\n'.encode())
    assert list(frame.columns) == ["Height, cm", "Weight, kg", "Label, text"]
    assert frame["Height, cm"].tolist() == [1.5, 2.5]  # decimal commas in a semicolon file
    assert "decimal commas" in load_notes(frame)[0]


def test_title_line_and_excel_sep_hint():
    frame = read_csv_bytes(b"Sales export, 2024\na;b;c\n1;2;3\n4;5;6\n")
    assert list(frame.columns) == ["a", "b", "c"] and len(frame) == 2
    assert load_notes(frame) == ["skipped 1 line(s) above the header"]
    assert list(read_csv_bytes(b"sep=|\na|b\n1|2\n").columns) == ["a", "b"]


def test_long_first_row_is_skipped_not_turned_into_an_index():
    frame = read_csv_bytes(b"a,b,c\n1,2,3,4\n" + b"5,6,7\n" * 10)
    assert frame.to_numpy().tolist() == [[5, 6, 7]] * 10
    assert load_notes(frame) == ["1 row(s) with more fields than the header's 3 were skipped"]


def test_short_first_row_does_not_drop_the_full_rows_after_it():
    frame = read_csv_bytes(b"a,b,c\n1,2\n" + b"5,6,7\n" * 10)
    assert len(frame) == 11 and frame["c"].isna().sum() == 1
    assert load_notes(frame) == []


def test_mostly_ragged_rows_are_refused():
    with pytest.raises(DataError, match="more fields than the 2 columns"):
        read_csv_bytes(b"a,b\n" + b"1,2,3\n" * 10 + b"1,2\n")


def test_huge_numbers_become_missing_with_a_note():
    frame = read_csv_bytes(b"a,b\n1,1e309\n2,-1e300\n3,4\n4,5\n")
    assert frame["b"].tolist()[2:] == [4, 5] and frame["b"].isna().sum() == 2
    assert "2 infinite or too large" in load_notes(frame)[0]


def test_thousands_separators_make_numbers():
    frame = read_csv_bytes(b'a,price\nx,"100,000"\ny,"2,500.5"\nz,7\n')
    assert frame["price"].tolist() == [100_000.0, 2_500.5, 7.0]
    assert "thousands separators" in load_notes(frame)[0]
    mixed = read_csv_bytes(b'a,b\nx,"1,000"\ny,"n/a, sorry"\n')
    assert mixed["b"].tolist() == ["1,000", "n/a, sorry"]  # not every value is a number: left as text


def test_currency_and_percent_signs_make_numbers():
    frame = read_csv_bytes('income,spent,share,rate\n"$44,480",-€3,12%,x\n"$13,488.5",€ 7,0 %,y\n$9,+€1,100%,z\n'.encode())
    assert frame["income"].tolist() == [44_480.0, 13_488.5, 9.0]
    assert frame["spent"].tolist() == [-3.0, 7.0, 1.0]
    assert frame["share"].tolist() == [12.0, 0.0, 100.0]  # the number as written: 12% is 12
    notes = load_notes(frame)
    assert "column 'income': amounts written with '$' were read as numbers, without the '$'" in notes
    assert "column 'share': percentages written with '%' were read as numbers, without the '%'" in notes
    european = read_csv_bytes("preis;rabatt\n1.234,50 €;5%\n99 €;10,5%\n".encode())
    assert european["preis"].tolist() == [1_234.5, 99.0] and european["rabatt"].tolist() == [5.0, 10.5]
    french = read_csv_bytes("taux;prix\n12\u00a0%;3,5\u202f€\n7\u202f%;10\u00a0€\n".encode())  # no-break spaces
    assert french["taux"].tolist() == [12.0, 7.0] and french["prix"].tolist() == [3.5, 10.0]


@pytest.mark.parametrize("values", [
    ["$5", "€6"],  # two currencies are not one quantity
    ["$5", "about $6"],  # a value that is not a number
    ["5%", "$6"],
    ["$5%", "$6%"],  # two signs on one value
    ["-$-5", "$6"],
    ["(-5)", "3"],  # a negative in parentheses and with a minus sign
    ["(5", "3"],  # a parenthesis that does not close
    ["((5))", "3"],
])
def test_values_that_are_not_one_quantity_stay_text(values):
    frame = read_csv_bytes(("a,b\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values))).encode())
    assert frame["a"].tolist() == values and load_notes(frame) == []


def test_thousands_grouped_by_spaces_make_numbers_and_other_spaced_digits_stay_text():
    # As Excel exports French, Nordic or Czech numbers: a no-break (or narrow no-break) space between thousands.
    frame = read_csv_bytes("montant;prix;code postal;téléphone\n"
                           "1\u00a0234\u00a0567,5;1\u202f234,50 €;123 45;06 12 34 56 78\n"
                           "999,25;12,00 €;750 01;01 23 45 67 89\n"
                           "-2 000;-3 €;130 00;09 87 65 43 21\n".encode())
    assert frame["montant"].tolist() == [1_234_567.5, 999.25, -2_000.0]
    assert frame["prix"].tolist() == [1_234.5, 12.0, -3.0]
    assert frame.iloc[:, 2].tolist() == ["123 45", "750 01", "130 00"]  # groups of 2 digits: not thousands
    assert frame.iloc[0, 3] == "06 12 34 56 78"
    assert load_notes(frame) == [
        "column 'montant': numbers written with spaces between the thousands were read as numbers",
        "column 'prix': amounts written with '€' were read as numbers, without the '€'",
    ]
    both_marks = read_csv_bytes("a;b\n1 234,5;x\n4 567.5;y\n".encode())  # which one is the decimal mark?
    assert both_marks["a"].tolist() == ["1 234,5", "4 567.5"]


def test_accounting_negatives_in_parentheses_become_negative_numbers():
    frame = read_csv_bytes(b'profit,loss,y\n"(1,200.00)",(5),a\n"$3,400.50",2,b\n"($7)",(0.5),c\n"$(8)",1,d\n')
    assert frame["profit"].tolist() == [-1_200.0, 3_400.5, -7.0, -8.0]
    assert frame["loss"].tolist() == [-5.0, 2.0, -0.5, 1.0]
    assert load_notes(frame) == [
        "column 'profit': amounts written with '$' were read as numbers, without the '$'; "
        "values in parentheses (accounting negatives) were read as negative numbers",
        "column 'loss': values in parentheses (accounting negatives) were read as negative numbers",
    ]


def test_swiss_thousands_with_apostrophes_make_numbers_and_feet_and_inches_stay_text():
    frame = read_csv_bytes("lohn,y\n\"1'234.50\",1\n980,0\n\"12’345’678\",1\n-5'000,0\n".encode())
    assert frame["lohn"].tolist() == [1_234.5, 980.0, 12_345_678.0, -5_000.0]
    assert load_notes(frame) == ["column 'lohn': numbers written with apostrophes between the thousands (1'234.50) "
                                 "were read as numbers"]
    assert read_csv_bytes(b"height,y\n5'11,1\n6'02,0\n")["height"].tolist() == ["5'11", "6'02"]


def test_a_minus_after_the_number_as_sap_exports_negatives_makes_them_negative():
    frame = read_csv_bytes(b"amount;qty;y\n1.234,56-;5;a\n980,00;3-;b\n12,50-;2;a\n7,00;1;b\n")
    assert frame["amount"].tolist() == [-1_234.56, 980.0, -12.5, 7.0] and frame["qty"].tolist() == [5, -3, 2, 1]
    assert load_notes(frame)[1] == ("column 'qty': values with the minus after the number (as SAP writes "
                                    "'1.234,56-') were read as negative numbers")
    for written in (["5-", "-5-", "3"], ["(5-)", "3", "4"], ["5-10", "3-4", "2-9"]):  # two signs, both kinds, ranges
        raw = "a,y\n" + "".join(f"{value},{i}\n" for i, value in enumerate(written))
        assert read_csv_bytes(raw.encode())["a"].tolist() == written


def test_quoted_decimal_commas_in_a_comma_separated_file_are_read_where_they_cannot_be_thousands():
    # Google Sheets set to German exports commas between the fields and "12,50" quoted.
    frame = read_csv_bytes('preis,menge,rabatt,y\n"12,50",3,"1,5 %",a\n"1.100,00",5,"2 %",b\n"7,25",1,"0,5 %",a\n'.encode())
    assert frame["preis"].tolist() == [12.5, 1_100.0, 7.25] and frame["rabatt"].tolist() == [1.5, 2.0, 0.5]
    assert load_notes(frame)[0] == "column 'preis': numbers written with decimal commas were read as numbers"
    thousands = read_csv_bytes(b'pop,y\n"1,234",a\n"12,500",b\n"7",a\n')  # groups of three: thousands, as before
    assert thousands["pop"].tolist() == [1_234, 12_500, 7]


def test_the_typographic_minus_sign_makes_negative_numbers_and_a_dash_alone_is_missing():
    # As typeset tables (and spreadsheets in Nordic locales) write negatives: U+2212, not the hyphen.
    frame = read_csv_bytes("temp,change,y\n−5,+2.5,a\n3,—,b\n−12.5,−1,a\n".encode())
    assert frame["temp"].tolist() == [-5.0, 3.0, -12.5]
    assert frame["change"].tolist()[::2] == [2.5, -1.0] and pd.isna(frame["change"].iloc[1])
    assert load_notes(frame) == [
        "column 'temp': values with the minus sign '−' (U+2212) were read as negative numbers",
        "column 'change': values with the minus sign '−' (U+2212) were read as negative numbers",
        "column 'change': 1 value written '—' read as missing (the other values are numbers)"]
    assert read_csv_bytes("a,y\n−,1\n–,2\n".encode())["a"].tolist() == ["−", "–"]  # no number to read


def test_counts_written_at_least_n_are_read_as_n_and_two_signs_stay_text():
    # Google Play's "Installs" ("10,000+"), top-coded ages ("90+"), years of experience.
    frame = read_csv_bytes(b'installs,age,y\n"10,000+",34,a\n500+,90+,b\n"1,000,000+",12,a\n0,45,b\n')
    assert frame["installs"].tolist() == [10_000, 500, 1_000_000, 0] and frame["age"].tolist() == [34, 90, 12, 45]
    assert load_notes(frame)[1] == ("column 'age': values written with a '+' after the number (at least that many, "
                                    "as '10,000+') were read as that number")
    for written in (["+5+", "3", "4"], ["(5+)", "3", "4"], ["5+-", "3", "4"]):
        raw = "a,y\n" + "".join(f"{value},{i}\n" for i, value in enumerate(written))
        assert read_csv_bytes(raw.encode())["a"].tolist() == written


def test_na_as_a_two_letter_code_is_a_value_unless_the_file_writes_na_for_missing():
    # Continent codes: pandas read North America as missing, silently.
    frame = read_csv_bytes(b"continent,gdp,y\nEU,1.5,a\nNA,2.5,b\nAS,3.1,a\nNA,0.5,b\nSA,,a\n")
    assert frame["continent"].tolist() == ["EU", "NA", "AS", "NA", "SA"] and pd.isna(frame["gdp"].iloc[4])
    assert load_notes(frame) == ["column 'continent': 'NA' read as one of its two-letter codes (Namibia, North "
                                 "America), not as missing"]
    r_style = read_csv_bytes(b"continent,gdp,y\nEU,1.5,a\nNA,2.5,b\nAS,3.1,a\nNA,0.5,b\nSA,NA,a\n")
    assert r_style["continent"].isna().sum() == 2 and load_notes(r_style) == []  # NA means missing in this file
    names = read_csv_bytes(b"name,gdp,y\nAnna,1.5,a\nNA,2.5,b\nBo,3.1,a\n")
    assert pd.isna(names["name"].iloc[1])  # not a column of codes


def test_numbers_with_missing_value_placeholders_become_numbers_with_missing_cells():
    frame = read_csv_bytes(b"age,bp,pay,kind\n41,?,#DIV/0!,a\n?,120.5,\"$1,200\",b\n37,-,$900,?\n52,118,$80,c\n")
    assert frame["age"].tolist()[::2] == [41.0, 37.0] and frame["age"].isna().tolist() == [False, True, False, False]
    assert frame["bp"].isna().sum() == 2 and frame["bp"].iloc[1] == 120.5
    assert frame["pay"].tolist()[1:] == [1_200.0, 900.0, 80.0] and pd.isna(frame["pay"].iloc[0])
    assert frame["kind"].tolist() == ["a", "b", "?", "c"]  # a text column keeps its "?" as a value
    notes = load_notes(frame)
    assert "column 'age': 1 value written '?' read as missing (the other values are numbers)" in notes
    assert "column 'bp': 2 values written '?' or '-' read as missing (the other values are numbers)" in notes
    assert "column 'pay': amounts written with '$' were read as numbers, without the '$'" in notes
    only_placeholders = read_csv_bytes(b"a,b\n?,1\n-,2\n")
    assert only_placeholders["a"].tolist() == ["?", "-"]  # nothing but placeholders: no number to read


@pytest.mark.parametrize(("written", "numbers", "unit"), [
    (["85 m²", "120 m²", "47,5 m²"], [85.0, 120.0, 47.5], "m²"),  # a decimal comma in a ';' file
    (["1 200 sq ft", "850 sq ft", "2 400 sq ft"], [1_200.0, 850.0, 2_400.0], "sq ft"),
    (["3 rooms", "1 room", "2 rooms"], [3.0, 1.0, 2.0], "rooms"),
    (["-5 °C", "3 °C", "12°C"], [-5.0, 3.0, 12.0], "°C"),
])
def test_numbers_followed_by_one_unit_become_numbers(written, numbers, unit):
    frame = read_csv_bytes(("x;y\n" + "".join(f"{w};{i % 2}\n" for i, w in enumerate(written))).encode())
    assert frame["x"].tolist() == numbers
    assert load_notes(frame) == [f"column 'x': values written with the unit '{unit}' were read as numbers, without it"]


def test_amounts_written_with_k_m_or_b_are_the_numbers_they_stand_for():
    # FIFA's player values and wages, follower counts, app sizes: "€110.5M" beside "€565K" and "€0"
    frame = read_csv_bytes("value,wage,followers,y\n€110.5M,€565K,1.2M,a\n€77M,€405K,350K,b\n€0,€0,12 K,a\n€2bn,€1K,98,b\n"
                           .encode())
    assert frame["value"].tolist() == [110_500_000.0, 77_000_000.0, 0.0, 2_000_000_000.0]
    assert frame["wage"].tolist() == [565_000.0, 405_000.0, 0.0, 1_000.0]
    assert frame["followers"].tolist() == [1_200_000.0, 350_000.0, 12_000.0, 98.0]
    assert load_notes(frame)[0] == ("column 'value': amounts written with '€' were read as numbers, without the '€'; "
                                    "values written with K, M or B (thousands, millions, billions: '€110.5M') were "
                                    "read as the numbers they stand for")


@pytest.mark.parametrize("written", [
    ["2 GB", "1 TB", "512 GB"],  # two units: not one quantity
    ["5 m", "7 ms", "9 m"],  # metres and milliseconds, not a plural
    ["12 Main St", "4 Oak Ave", "9 Main St"],  # addresses
    ["1. White", "2. Black", "1. White"],  # numbered labels, as R writes coded factors
    ["1st", "2nd", "3rd"],
    ["2 GB", "5 MB", "1 KB"],  # bytes: "B" after a unit letter is not billions
    ["5MM", "3M", "2M"],  # two suffixes
    ["S", "M", "L"],  # sizes: no number
])
def test_numbers_with_different_words_after_them_stay_text(written):
    frame = read_csv_bytes(("x,y\n" + "".join(f"{w},{i % 2}\n" for i, w in enumerate(written))).encode())
    assert frame["x"].tolist() == written and load_notes(frame) == []


@pytest.mark.parametrize(("written", "numbers", "how"), [
    (["01:23:45", "25:10:00", "0:00:07.5"], [5_025.0, 90_600.0, 7.5],
     "times written h:mm:ss (as '01:23:45') were read as seconds"),
    (["59:12", "1:02:33", "5:00"], [3_552.0, 3_753.0, 300.0],
     "times written h:mm:ss (as '1:02:33') were read as seconds"),
    (["9:30", "14:45", "23:59"], [570.0, 885.0, 1_439.0], "times written h:mm or m:ss (as '9:30') were read as "
     "60 × the first part + the second: minutes for h:mm, seconds for m:ss"),
])
def test_clock_times_and_durations_become_numbers_that_do_not_depend_on_the_day(written, numbers, how):
    # pandas reads '14:45' as a time on the day of reading, and '25:10:00' not at all
    frame = read_csv_bytes(("x,y\n" + "".join(f"{w},{i % 2}\n" for i, w in enumerate(written))).encode())
    assert frame["x"].tolist() == numbers
    assert load_notes(frame) == [f"column 'x': {how}"]
    assert read_csv_bytes(b"x,y\n12:30,1\n12:75,0\n")["x"].tolist() == ["12:30", "12:75"]  # not a time: text


def test_stray_spaces_that_split_one_value_in_two_are_removed_with_a_note():
    frame = read_csv_bytes(b'a,answer,colour,size,comment\n1,Yes ,red,S,fine \n2,No,red ,"  ",ok\n'
                           b'3,"Yes",blue,M,good\n4,"No ",blue,L,great\n')
    assert frame["answer"].tolist() == ["Yes", "No", "Yes", "No"]  # a target of two classes, not four
    assert frame["colour"].tolist() == ["red", "red", "blue", "blue"]
    assert pd.isna(frame["size"].iloc[1])  # a value of spaces only is missing
    assert frame["comment"].tolist()[:2] == ["fine ", "ok"]  # nothing joined or emptied there: kept as written
    assert load_notes(frame) == ["spaces before or after 4 text values were removed (in 'answer', 'colour', "
                                 "'size'), so 'Yes ' and 'Yes' are one value"]


def test_the_header_repeated_inside_the_data_by_joined_files_is_skipped():
    part = "age,income,answer\n41,52000,yes\n35,48000,no\n"
    frame = read_csv_bytes((part + part[part.index("\n") + 1:] + part + " age , income ,answer\n").encode())
    assert frame["age"].tolist() == [41, 35] * 3 and frame["answer"].tolist() == ["yes", "no"] * 3
    assert load_notes(frame)[-1] == ("2 lines inside the data repeating the header (files joined one after another) "
                                     "were skipped")
    kept = read_csv_bytes(b"age,answer\n41,yes\nage,no\n35,age\n")  # 'age' as a value, not the whole header
    assert kept["age"].tolist() == ["41", "age", "35"] and load_notes(kept) == []
    numbers = read_csv_bytes(b"0,1\n0,1\n2,3\n0,1\n")  # a header of numbers is like a row: nothing is skipped
    assert numbers.shape == (3, 2) and load_notes(numbers) == []


def test_a_world_bank_download_reads_its_numbers_and_leaves_its_notes_out():
    # ".." is "not available" in World Bank, OECD and national statistics tables; the lines under the table
    # name the database and the date.
    raw = (b'"Country Name","Country Code","Series Name","2019 [YR2019]","2020 [YR2020]"\n'
           b'"Afghanistan","AFG","GDP (current US$)","18904490262.2","20143441736.2"\n'
           b'"Albania","ALB","GDP (current US$)","15401830754.2",".."\n'
           b'"Algeria","DZA","GDP (current US$)","171767403014","145743322529"\n'
           b'"Andorra","AND","GDP (current US$)","..","2891022313.6"\n'
           b'\n,,,,\n,,,,\n"Data from database: World Development Indicators",,,,\n"Last Updated: 12/19/2023",,,,\n')
    frame = read_csv_bytes(raw)
    assert frame["Country Name"].tolist() == ["Afghanistan", "Albania", "Algeria", "Andorra"]
    assert frame["2020 [YR2020]"].isna().tolist() == [False, True, False, False]
    assert frame["2019 [YR2019]"].iloc[0] == 18_904_490_262.2
    assert load_notes(frame) == [
        "2 lines of notes under the table ('Data from database: World Development Indicators') dropped",
        "column '2019 [YR2019]': 1 value written '..' read as missing (the other values are numbers)",
        "column '2020 [YR2020]': 1 value written '..' read as missing (the other values are numbers)",
    ]
    # a last row with one value that is not a phrase, or a two-column table, is the table's
    kept = read_csv_bytes(b"country,gdp,y\nFrance,1.5,a\nPeru,2.5,b\nChad,,\n")
    assert kept["country"].tolist() == ["France", "Peru", "Chad"] and load_notes(kept) == []
    assert len(read_csv_bytes(b"review,label\ngood film,1\nbad film,0\nsome words here,\n")) == 3


def test_a_eurostat_table_reads_its_flagged_numbers_and_colons_as_missing():
    # Eurostat writes "405241.0 p" (provisional), "71077.0 e" (estimated), ": c" (confidential, not available).
    raw = ("unit\tgeo\\time\t2020\t2021\nMIO_EUR\tAT\t380318.0 \t405241.0 p\nMIO_EUR\tBE\t460050.0 \t502312.0 \n"
           "MIO_EUR\tBG\t61331.0 \t71077.0 e\nMIO_EUR\tCY\t: c\t24019.0 b\n").encode()
    frame = read_csv_bytes(raw)
    assert frame["2021"].tolist() == [405_241.0, 502_312.0, 71_077.0, 24_019.0]
    assert frame["2020"].tolist()[:3] == [380_318.0, 460_050.0, 61_331.0] and pd.isna(frame["2020"].iloc[3])
    assert load_notes(frame) == [
        "column '2020': values written as Eurostat writes them were read as numbers, without their flags ('p', 'e', "
        "'b', ...), and ':' as missing (1 value)",
        "column '2021': values written as Eurostat writes them were read as numbers, without their flags ('p', 'e', "
        "'b', ...)"]
    days = read_csv_bytes(b"x,y\n3 d,1\n5 d,2\n7 d,1\n")  # a unit, not a flag: read as before
    assert load_notes(days) == ["column 'x': values written with the unit 'd' were read as numbers, without it"]
    assert read_csv_bytes(b"x,y\nA:B,1\nC,2\n:,1\n")["x"].tolist() == ["A:B", "C", ":"]


def test_a_qualtrics_export_skips_its_question_and_import_id_rows():
    # Qualtrics' "CSV with labels": the header, the questions' texts, then {"ImportId": ...} for each column.
    lines = ["Duration (in seconds),Finished,Q1,Q2",
             '"Duration (in seconds)","Finished","How satisfied are you?","Would you recommend us?"',
             '"{""ImportId"":""duration""}","{""ImportId"":""finished""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}"',
             "454,1,4,Yes", "583,1,2,No", "61,0,5,Yes"]
    frame = read_csv_bytes(("\n".join(lines) + "\n").encode())
    assert frame["Duration (in seconds)"].tolist() == [454, 583, 61] and frame["Q1"].tolist() == [4, 2, 5]
    assert frame["Q2"].tolist() == ["Yes", "No", "Yes"]
    assert load_notes(frame) == ["skipped the row of question texts and the row of import ids under the header "
                                 "(a Qualtrics export)"]
    # without the import ids (a SurveyMonkey-like export) the row of questions is skipped by the units rule
    plain = read_csv_bytes(("\n".join([lines[0], lines[1], *lines[3:]]) + "\n").encode())
    assert plain["Q1"].tolist() == [4, 2, 5] and "reads as units, not an example" in load_notes(plain)[0]


def test_a_totals_row_under_the_data_is_dropped_with_a_note():
    lines = ["units,price,region,bought", "3,10.5,North,no", "40,2.25,South,yes", "7,30.0,East,yes",
             "Total,42.75,,"]
    frame = read_csv_bytes(("\n".join(lines) + "\n").encode())
    assert len(frame) == 3 and frame["price"].max() == 30.0
    assert frame["units"].tolist() == [3, 40, 7]  # the label had made the column text
    assert load_notes(frame) == ["the last row ('Total') was dropped: the totals of the rows above, not an example"]


def test_excel_subtotal_rows_after_each_group_and_the_grand_total_are_dropped():
    lines = ["region,product,units,revenue", "North,A,3,30.5", "North,B,4,40", "North Total,,7,70.5",
             "South,A,5,50", "South,C,1,12.25", "South,D,2,20", "South Total,,8,82.25", "Grand Total,,15,152.75"]
    frame = read_csv_bytes(("\n".join(lines) + "\n").encode())
    assert frame["region"].tolist() == ["North", "North", "South", "South", "South"]
    assert frame["units"].sum() == 15 and frame["revenue"].sum() == 152.75
    assert load_notes(frame) == [
        "2 subtotal rows ('North Total', …: the sums of the rows above them) were dropped",
        "the last row ('Grand Total') was dropped: the totals of the rows above, not an example",
    ]
    wrong = [*lines[:3], "North Total,,8,99", *lines[4:]]  # not the sums: the rows are examples after all
    assert len(read_csv_bytes(("\n".join(wrong) + "\n").encode())) == 8
    # German, Dutch and French Excel name them in their own words, the French before the group
    for subtotal, grand in (("{} Ergebnis", "Gesamtergebnis"), ("{} Totaal", "Eindtotaal"), ("Total {}", "Total général")):
        local = [line.replace("North Total", subtotal.format("North")).replace("South Total", subtotal.format("South"))
                 .replace("Grand Total", grand) for line in lines]
        frame = read_csv_bytes(("\n".join(local) + "\n").encode())
        assert frame["region"].tolist() == ["North", "North", "South", "South", "South"], subtotal


def test_totals_and_averages_written_as_amounts_in_a_european_export_are_dropped():
    lines = ["Vendeur;Montant;Remise", "Anne;1 200,50 €;2", "Bruno;800,00 €;4", "Chloé;\u00a0999,50 €;6",
             "Total général :;3 000,00 €;12", "Moyenne;1 000,00 €;4"]
    frame = read_csv_bytes(("\n".join(lines) + "\n").encode())
    assert frame["Vendeur"].tolist() == ["Anne", "Bruno", "Chloé"]
    assert frame["Montant"].tolist() == [1_200.5, 800.0, 999.5]
    assert load_notes(frame)[0] == ("the last 2 rows ('Total général :', 'Moyenne') were dropped: "
                                    "the totals and averages of the rows above, not examples")


@pytest.mark.parametrize("last", [
    "Total,99,x,yes",  # labelled "Total", but no number in it is a column's sum: a category value, an example
    "Totals of the year,42.75,,",  # a sum, but the label is a sentence, not only a word for a total
    "50,42.75,Total,",  # the label in the middle, price is the sum: dropped (see below)
])
def test_a_row_is_a_totals_row_only_with_a_total_label_and_a_column_sum(last):
    lines = ["units,price,region,bought", "3,10.5,North,no", "40,2.25,South,yes", "7,30.0,East,yes", last]
    frame = read_csv_bytes(("\n".join(lines) + "\n").encode())
    assert len(frame) == (3 if last.startswith("50,") else 4)


def test_a_row_of_units_under_the_header_is_skipped_and_the_columns_are_numbers():
    frame = read_csv_bytes(b"weight;height;glucose;sex\nkg;cm;mmol/L;\n70,5;180;5,2;F\n82;175;6,1;M\n64;;4,9;F\n")
    assert frame["weight"].tolist() == [70.5, 82.0, 64.0] and frame["height"].iloc[0] == 180
    assert frame["sex"].tolist() == ["F", "M", "F"]
    assert load_notes(frame)[0] == ("the first row under the header (weight: 'kg', height: 'cm', glucose: 'mmol/L') "
                                    "reads as units, not an example: it was skipped")


@pytest.mark.parametrize("first", [
    "Alice,Paris,TBD,TBD",  # 'Paris' recurs below: a first example with two unknown amounts
    "kg,Lyon,9,4",  # a number in it: an example
    "Bob,Nice,TBD,3",  # only one column made text by it
])
def test_a_first_row_of_text_stays_an_example_unless_it_reads_as_units(first):
    lines = ["name,city,salary,years", first, "Carol,Paris,51000,4", "Dan,Lyon,48000,2", "Eve,Nice,62000,9"]
    frame = read_csv_bytes(("\n".join(lines) + "\n").encode())
    assert len(frame) == 4 and frame["name"].iloc[0] == first.split(",")[0]


def test_a_title_row_padded_with_empty_fields_is_skipped_but_a_header_with_an_unnamed_column_is_not():
    frame = read_csv_bytes(b"Quarterly sales,,,\n,,,\nregion,units,price,bought\nN,3,2.5,yes\nS,4,3.5,no\nN,5,1.5,yes\n")
    assert list(frame.columns) == ["region", "units", "price", "bought"] and len(frame) == 3
    assert load_notes(frame) == ["skipped 2 line(s) above the header"]
    kept = read_csv_bytes(b"value,\n3,yes\n4,no\n5,yes\n")  # the line under it holds a number: it is the data
    assert list(kept.columns) == ["value", "column_2"] and kept["value"].tolist() == [3, 4, 5]


def test_a_header_under_a_line_of_group_titles_names_the_columns():
    frame = read_csv_bytes(b"Demographics,,,Lab,,\nage,sex,bmi,glucose,hba1c,diabetic\n41,F,27.1,5.2,5.9,no\n"
                           b"55,M,31.0,7.9,7.1,yes\n38,F,22.4,4.8,5.2,no\n")
    assert list(frame.columns) == ["age", "sex", "bmi", "glucose", "hba1c", "diabetic"]
    assert frame["glucose"].tolist() == [5.2, 7.9, 4.8] and len(frame) == 3  # numbers, not 'glucose' among them
    assert load_notes(frame) == ["the header is the second line; the line above it ('Demographics', 'Lab') reads "
                                 "as group titles"]
    text_only = read_csv_bytes(b"a,,c\nx,y,z\nq,r,s\nt,u,v\n")  # nothing under it is a number: an example
    assert list(text_only.columns) == ["a", "column_2", "c"] and len(text_only) == 3


def test_empty_columns_without_a_name_from_trailing_delimiters_are_dropped():
    frame = read_csv_bytes(b"a,b,notes,,\n1,x,,,\n2,y,,,\n")
    assert list(frame.columns) == ["a", "b", "notes"]  # a named empty column is the user's: kept
    assert load_notes(frame) == ["2 empty columns without a name (delimiters at the ends of the lines) were dropped"]
    assert list(read_csv_bytes(b"a,,b\n1,5,x\n2,6,y\n").columns) == ["a", "column_2", "b"]  # values: kept
    with pytest.raises(DataError, match="fewer than 2 columns with a name or a value"):
        read_csv_bytes(b"a,,\n1,,\n2,,\n")  # one column and the delimiters after it


def test_column_limit(monkeypatch):
    from engine.common import limits

    monkeypatch.setattr(limits, "MAX_COLUMNS", 5)
    with pytest.raises(DataError, match="6 columns; the limit is 5"):
        read_csv_bytes(b"a,b,c,d,e,f\n1,2,3,4,5,6\n")


# --- a table zipped alone (engine.io.zipped) ------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


WINE_LIKE = b"alcohol;ash;cultivar\n" + b"".join(b"%d,5;%d;c%d\n" % (12 + i % 3, i, i % 2) for i in range(40))


def test_a_csv_zipped_alone_is_read_as_that_csv_with_a_note():
    from engine.io.dataset import load_dataset_bytes

    raw = _zip({"exports/wine.csv": WINE_LIKE, "__MACOSX/exports/._wine.csv": b"\x00\x05", ".DS_Store": b"\x00"})
    zipped = load_dataset_bytes("wine.zip", raw)
    plain = load_dataset_bytes("wine.csv", WINE_LIKE)
    assert zipped.frame.equals(plain.frame) and list(zipped.frame.columns) == ["alcohol", "ash", "cultivar"]
    assert zipped.notes[0] == "read wine.csv, the one file in the ZIP archive"
    assert zipped.notes[1:] == plain.notes  # the CSV's own repairs (decimal commas) are still said
    assert zipped.name == "wine.zip"


def test_a_zip_of_several_tables_asks_for_one_and_an_oversized_one_is_refused():
    from engine.io.dataset import load_dataset_bytes

    several = _zip({f"part{i}.csv": WINE_LIKE for i in range(5)})
    with pytest.raises(DataError, match=r"holds 5 tables \(part0\.csv, part1\.csv, part2\.csv and 2 more\); upload the one"):
        load_dataset_bytes("parts.zip", several)
    with pytest.raises(DataError, match="the file in the ZIP archive is .* MB; the limit is"):
        load_dataset_bytes("wine.zip", _zip({"wine.csv": WINE_LIKE * 50}), max_bytes=len(WINE_LIKE) * 10)


def test_a_zip_with_anything_but_tables_is_left_to_the_kinds_loaders():
    from engine.io.zipped import read_zipped_table

    assert read_zipped_table(_zip({"cat/1.png": b"\x89PNG", "labels.csv": WINE_LIKE}), 10**6) is None
    assert read_zipped_table(WINE_LIKE, 10**6) is None  # not a ZIP at all
    frame, note = read_zipped_table(_zip({"wine.tsv": WINE_LIKE.replace(b";", b"\t")}), 10**6)
    assert list(frame.columns) == ["alcohol", "ash", "cultivar"] and "wine.tsv" in note


def test_a_gzipped_csv_keeps_the_csv_readers_notes():
    import gzip

    from engine.io.dataset import load_dataset_bytes

    plain = load_dataset_bytes("wine.csv", WINE_LIKE)
    assert plain.notes  # the decimal commas were read as numbers, and said so
    assert load_dataset_bytes("wine.csv.gz", gzip.compress(WINE_LIKE)).notes == plain.notes  # were dropped before
