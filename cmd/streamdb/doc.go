// Command streamdb runs the streamdb server.
//
//	streamdb [serve] [flags]   start the server (serve is the default)
//	streamdb version           print the version
//
// Flags override the config file (--config); every config key can also be
// given as --set key=value. The command only turns flags into
// server.Options and calls server.Run; everything else lives in server.
package main
