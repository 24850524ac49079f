// Package webclient embeds the browser app and its JavaScript SDK (plain ES
// modules, no build step) and serves them with Handler. It imports no
// project package.
package webclient
