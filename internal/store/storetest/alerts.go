package storetest

// alertCases test the AlertStore half of a driver.
var alertCases = []testCase{}
