#!/usr/bin/env python3
"""Regenerates yaz_marc8.txt (run from branch/marc/; needs `apt-get install yaz`).

For each file: yaz-marcdump's `line` rendering of its records, brought to NFC.
"""
import subprocess, unicodedata

DATA = '../../../shared/data/marc/'
# (file, yaz input charset, records to keep (None = all), keep only lines with non-ASCII)
FILES = [
    ('hebrew.marc', 'MARC-8', None, False),
    ('jazz_1k.mrc', 'MARC-8', None, True),
    ('map_data.mrc', 'UTF-8', None, True),
    ('FSL.marc', 'UTF-8', 5, False),
    ('nepali.marc', 'UTF-8', 3, False),
]
out = ['# Expected text of records, produced by Debian yaz 5 (see README.md):',
       '#   yaz-marcdump -f CHARSET -t UTF-8 -o line FILE, then Unicode NFC (Python unicodedata).',
       '# Line format: FILE<TAB>RECORD-NUMBER<TAB>field as yaz prints it.',
       '# Which records and fields: see gen_yaz_expected.py.']
for f, cs, limit, nonascii in FILES:
    txt = subprocess.run(['yaz-marcdump', '-f', cs, '-t', 'UTF-8', '-o', 'line', DATA + f],
                         capture_output=True, check=True).stdout.decode()
    recs = [r for r in txt.split('\n\n') if r.strip()]
    for n, r in enumerate(recs[:limit], 1):
        for l in r.split('\n'):
            l = unicodedata.normalize('NFC', l)
            if not nonascii or any(ord(c) > 127 for c in l):
                out.append('%s\t%d\t%s' % (f, n, l))
open('testdata/yaz_expected.txt', 'w').write('\n'.join(out) + '\n')
