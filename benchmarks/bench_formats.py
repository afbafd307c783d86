"""Reading one record of each hospital export format through read_record (issue 16).

Measures the user path (sniff, safe XML parse, decode, lead derivation, float32 in mV). Philips is
dominated by sierraecg's pure-Python XLI decoder; a header read decodes too (the record length is
only known once the calibration pulse is found), so each Philips call clears the decode cache.
"""

from __future__ import annotations

from benchmarks import Row, benchmark
from benchmarks.shared import SHARED, best_of
from training.data import read_record
from training.data.formats import philips

FILES = {
    "GE MUSE XML": "vendor/ge_muse_xml/example1.xml",
    "Philips Sierra XML": "vendor/philips_sierra_xml/2020-5-18_15-48-11.xml",
    "HL7 aECG": "vendor/hl7_aecg_scp_dicom/Example.xml",
    "DICOM ECG": "vendor/hl7_aecg_scp_dicom/Example.dcm",
    "SCP-ECG": "vendor/hl7_aecg_scp_dicom/Example.scp",
    "EDF+ (10 min, 11 channels)": "formats/test_generator_2.edf",
}


def _read(path) -> None:
    philips._decoded_samples.cache_clear()
    read_record(path)


@benchmark("read_formats")
def read_formats() -> list[Row]:
    return [Row(f"read_record, {name}", best_of(lambda p=SHARED / rel: _read(p)), "s", note=rel)
            for name, rel in FILES.items()]
