package search

// Fold is fold, for the tests.
var Fold = fold
