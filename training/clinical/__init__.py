"""Clinical decision rules for pulmonary embolism (Wells, PEGeD, YEARS, PERC) and D-dimer units.

Pure functions without Qt or torch: the app's form, the cohort comparison and the CLI share them.
"""
