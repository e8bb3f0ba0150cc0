// Package pgtest gives tests a PostgreSQL store of their own: a schema in
// the database GANTRY_TEST_POSTGRES names (.ci/start-postgres prints it),
// dropped when the test ends. Without the variable a test skips, except in
// CI (CI=true), where it fails. Only tests import it.
package pgtest
