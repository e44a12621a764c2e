package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

// kafkaDev runs an in-process Kafka protocol broker (franz-go's kfake) for
// trying CDC tables and sinks without a Kafka installation:
//
//	streamdb kafka-dev --port 9092 --topics orders,customers --partitions 8
//
// kcat and any Kafka client can produce and consume against it. Data lives
// in memory unless --data-dir is given. Not for production.
func kafkaDev(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kafka-dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 9092, "TCP port of the broker (on 127.0.0.1)")
	topics := fs.String("topics", "", "comma-separated topics to create up front (others are auto-created)")
	partitions := fs.Int("partitions", 8, "partitions of the topics created up front")
	dataDir := fs.String("data-dir", "", "persist the broker's data in this directory (default: memory only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(*port), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(*partitions)}
	var seed []string
	for _, t := range strings.Split(*topics, ",") {
		if t = strings.TrimSpace(t); t != "" {
			seed = append(seed, t)
		}
	}
	if len(seed) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(*partitions), seed...))
	}
	if *dataDir != "" {
		opts = append(opts, kfake.DataDir(*dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "streamdb kafka-dev: %v\n", err)
		return 1
	}
	defer c.Close()
	fmt.Fprintf(stdout, "kafka-dev broker listening on %s (Ctrl-C to stop)\n", strings.Join(c.ListenAddrs(), ","))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return 0
}
