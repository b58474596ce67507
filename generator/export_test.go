package generator

// EncodedKinds exposes encodedKinds to the external tests.
var EncodedKinds = encodedKinds
