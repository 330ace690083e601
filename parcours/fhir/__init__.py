"""The FHIR R4 API: maps and parses; every write goes through the domain services and every
read through the access functions of the app that owns the data."""
