// FoveaOCR: see Package.swift for the module layering.
