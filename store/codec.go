package store

import (
	"runtime"

	"github.com/klauspost/compress/zstd"
)

// codec compresses capture bodies with zstd. Both directions are safe for
// concurrent use: EncodeAll and DecodeAll draw from internal pools.
type codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

func newCodec() (*codec, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithZeroFrames(true))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithDecoderMaxMemory(1<<31))
	if err != nil {
		_ = enc.Close()
		return nil, err
	}
	return &codec{enc: enc, dec: dec}, nil
}

func (c *codec) compress(body []byte) []byte {
	return c.enc.EncodeAll(body, make([]byte, 0, len(body)/4+64))
}

func (c *codec) decompress(z []byte, size int64) ([]byte, error) {
	return c.dec.DecodeAll(z, make([]byte, 0, size))
}

func (c *codec) close() {
	_ = c.enc.Close()
	c.dec.Close()
}
