#!/usr/bin/python3
"""Writes the import test corpus of this folder (committed; run again only to
change it). Every file is small and says in its rows what it tests; the
expected results are in tests/blackbox/test_import.py and tests/unit/test_import.c.

  win1252.csv    Windows-1252 (å ä ö), ';', CRLF, no BOM; a quoted field with a
                 newline; an orgnr as 16556036... (12 digits); a personnummer of an
                 enskild firma whose leading zero a spreadsheet dropped (9 digits);
                 a second row of one company (a second contact person); an exact
                 duplicate row; a bad check digit; a row without a name; an unknown
                 column (Anställda); a role without a contact person
  utf8-bom.csv   UTF-8 with a BOM, LF, English headers, ',' as the delimiter
  sheet.xlsx     made by openpyxl: shared strings, the orgnr as a number (one a
                 personnummer whose leading zero the number dropped, one 12 digits
                 with the leading 16)
  inline.xlsx    made by hand (zipfile): inline strings, a number in E notation,
                 cells without r="", a rich-text shared string, a sheet that is not
                 sheet1.xml (found through the workbook's relationships)
  broken.xlsx    a ZIP's first bytes and then garbage
"""
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def luhn(body):
    s = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        s += d - 9 if d > 9 else d
    return str((10 - s % 10) % 10)


def org(body9):
    return body9 + luhn(body9)


A = org("556036079")   # 5560360793, Larssons Båtbyggeri
B = org("556677889")   # Ölands Kök
C = org("559012345")   # Grisslehamns Hamnkrog
P = org("050101123")   # personnummer 0501011234-ish, enskild firma
BAD = A[:9] + str((int(A[9]) + 1) % 10)
D = org("556900001")
E = org("556900002")


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


rows = [
    "Organisationsnummer;Företagsnamn;Ort;SNI;Kontaktperson;Roll;Telefon;E-post;Anställda",
    "%s-%s;Larssons Båtbyggeri AB;Grisslehamn;30120;Åsa Öberg;VD;0175-12345;asa@larssons.example;12" % (A[:6], A[6:]),
    "16%s;Ölands Kök & Catering AB;Norrtälje;56210;\"Per Ek\";Ägare;;;3" % B,
    "%s;Grisslehamns Hamnkrog;Grisslehamn;56101;\"Märta \"\"Mia\"\" Holm\";\"Kock,\r\nsommartid\";;;8" % C,
    "%s;Ekströms Måleri (enskild firma);Rimbo;43341;;;;;1" % P[1:],
    "%s;Larssons Båtbyggeri AB;Grisslehamn;30120;Örjan Larsson;Säljare;;orjan@larssons.example;12" % A,
    "%s;Larssons Båtbyggeri AB;Grisslehamn;30120;Örjan Larsson;Säljare;;orjan@larssons.example;12" % A,
    "%s;Felaktiga AB;Norrtälje;;;;;;" % BAD,
    "%s;;Hallstavik;;;;;;" % D,
    "%s;Rollbolaget AB;Älmsta;;;Ekonomichef;;;" % E,
    ";;;;;;;;",
]
write("win1252.csv", ("\r\n".join(rows) + "\r\n").encode("cp1252"))

F = org("556900003")
G = org("556900004")
rows_en = [
    "Corporate identity number,Company name,City,Contact person,Phone,Email",
    "%s,Väddö Värdshus AB,Väddö,Göran Åkesson,0176-1000,goran@vaddo.example" % F,
    "%s-%s,\"Söderby Snickeri, AB\",Söderby,,," % (G[:6], G[6:]),
]
write("utf8-bom.csv", b"\xef\xbb\xbf" + ("\n".join(rows_en) + "\n").encode("utf-8"))

try:
    import openpyxl
    H = org("556900005")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Företag"
    ws.append(["Orgnr", "Namn", "Postort", "Kontaktperson", "Telefon"])
    ws.append([int(H), "Hallstaviks Bageri AB", "Hallstavik", "Britt Ström", "0175-2000"])
    ws.append([int(P), "Ekströms Måleri (enskild firma)", "Rimbo", "Lena Ekström", None])
    ws.append([int("16" + A), "Larssons Båtbyggeri AB", "Grisslehamn", "Åsa Öberg", None])
    wb.save(os.path.join(HERE, "sheet.xlsx"))
except ImportError:
    print("openpyxl missing: sheet.xlsx left as it is")

I = org("556900006")
ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
rns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
with zipfile.ZipFile(os.path.join(HERE, "inline.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook %s %s><sheets><sheet name="Register" sheetId="7" r:id="rId9"/></sheets></workbook>' % (ns, rns))
    z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="worksheet" Target="worksheets/register.xml"/></Relationships>')
    z.writestr("xl/sharedStrings.xml", '<?xml version="1.0"?><sst %s count="2" uniqueCount="2"><si><t>Organisationsnummer</t></si><si><r><t>Rimbo </t></r><r><t>Rör</t></r><rPh><t>ロ</t></rPh></si></sst>' % ns)
    z.writestr("xl/worksheets/register.xml", (
        '<?xml version="1.0"?><worksheet %s><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c t="inlineStr"><is><t>Företagsnamn</t></is></c><c t="inlineStr"><is><t>Ort</t></is></c></row>'
        '<row r="3"><c r="A3"><v>%s</v></c><c r="B3" t="inlineStr"><is><t>Rimbo Rör &amp; Värme AB</t></is></c><c r="C3" t="s"><v>1</v></c></row>'
        '</sheetData></worksheet>') % (ns, "%.9E" % int(I)))
write("broken.xlsx", b"PK\x03\x04" + b"\x14\x00not really a zip archive" * 20)
print("wrote the corpus")
