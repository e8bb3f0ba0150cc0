// Package notifytest gives channel tests a scripted HTTP receiver that
// records every request, a URL nothing listens on, and a Sleep that
// records back-off waits instead of waiting.
package notifytest
