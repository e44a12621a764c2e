// Package nexmark generates the Nexmark benchmark's events (persons,
// auctions, bids) with the semantics of the original Java generator
// (nexmark/nexmark nexmark-flink generator, derived from Beam's): event n is
// a person, an auction or a bid by n mod 50 (1:3:46), every field is drawn
// from a java.util.Random seeded with the event id, ids are interleaved,
// hot auctions, sellers and bidders follow the same ratios, and event time
// advances by a fixed gap per event from a fixed base time. Given the same
// Config, the generated events are identical on every run.
//
// The only deliberate differences from Java: the channel URLs, which Java
// draws from an unseeded Random once per JVM, are derived from the seed, so
// they are reproducible; and Config.Seed, when not zero, is hashed with the
// event number into the per-event seed, giving independent streams without
// the correlation of java.util.Random's first draws for nearby seeds (Seed
// 0 reproduces Java, correlation included).
package nexmark
