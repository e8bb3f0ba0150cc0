package storetest

// deployCases test the DeployStore half of a driver.
var deployCases = []testCase{}
