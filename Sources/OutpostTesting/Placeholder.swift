enum PlaceholderOutpostTesting {}
