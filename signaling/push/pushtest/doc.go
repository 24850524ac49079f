// Package pushtest runs fake push services on loopback for tests: a Web
// Push service that verifies the VAPID JWT and decrypts the aes128gcm
// payload with the subscription's private key (webpush.go), an FCM token
// and send endpoint (fcm.go) and an APNs HTTP/2 endpoint (apns.go). Each
// records what it received, so tests assert on the decoded messages.
//
// Goroutine model: each service is an httptest.Server, with its goroutines;
// Close stops it. Handlers that hang wait on the request's context or
// Close.
package pushtest
