package loom

// #include "shim.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// TokenizeFlags are loom_tokenize's flags (bitwise or).
type TokenizeFlags int32

const (
	// ParseSpecial turns special-token texts ("<|im_start|>") into those tokens.
	ParseSpecial TokenizeFlags = C.LOOM_TOKENIZE_PARSE_SPECIAL
	// NoNFC skips NFC normalization (llama.cpp's behaviour).
	NoNFC TokenizeFlags = C.LOOM_TOKENIZE_NO_NFC
)

// Tokenize turns text (any bytes) into token ids.
func (m *Model) Tokenize(text string, flags TokenizeFlags) ([]int32, error) {
	var ids []int32
	err := m.read(func(p *C.loom_model) error {
		ptr, n := cbytes(text)
		var err error
		ids, err = sized(len(text)/2+16, func(buf *int32, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
			return C.lg_tokenize(p, ptr, n, C.int32_t(flags), (*C.int32_t)(buf), capacity, size, msg)
		})
		return err
	})
	return ids, err
}

// TokenToPiece is the bytes token stands for (a special token: its text).
// A piece may be part of a UTF-8 character: stream text with a Detokenizer.
func (m *Model) TokenToPiece(token int32) ([]byte, error) {
	var piece []byte
	err := m.read(func(p *C.loom_model) error {
		var err error
		piece, err = sized(64, func(buf *byte, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
			return C.lg_token_to_piece(p, C.int32_t(token), (*C.char)(unsafe.Pointer(buf)), capacity, size, msg)
		})
		return err
	})
	return piece, err
}

// TokenFind is the token whose text is exactly text (ErrNotFound if none).
func (m *Model) TokenFind(text string) (int32, error) {
	var tok C.int32_t
	err := m.read(func(p *C.loom_model) error {
		ctext := C.CString(text)
		defer C.free(unsafe.Pointer(ctext))
		var msg *C.char
		return check(C.lg_token_find(p, ctext, &tok, &msg), msg)
	})
	return int32(tok), err
}

// IsEOG reports whether token ends a reply (<|im_end|>, <|endoftext|>, ...).
func (m *Model) IsEOG(token int32) bool {
	return m.readInt(func(p *C.loom_model) C.int32_t { return C.loom_token_is_eog(p, C.int32_t(token)) }) != 0
}

// IsSpecial reports whether token is a control or user-defined token.
func (m *Model) IsSpecial(token int32) bool {
	return m.readInt(func(p *C.loom_model) C.int32_t { return C.loom_token_is_special(p, C.int32_t(token)) }) != 0
}

// EOS is the metadata's end-of-sequence id, -1 when absent.
func (m *Model) EOS() int32 {
	v := int32(-1)
	_ = m.read(func(p *C.loom_model) error { v = int32(C.loom_token_eos(p)); return nil })
	return v
}

// EOGTokens lists the end-of-generation ids, ascending.
func (m *Model) EOGTokens() ([]int32, error) {
	var ids []int32
	err := m.read(func(p *C.loom_model) error {
		var err error
		ids, err = sized(16, func(buf *int32, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
			return C.lg_model_eog_tokens(p, (*C.int32_t)(buf), capacity, size, msg)
		})
		return err
	})
	return ids, err
}

// Detokenizer turns a stream of generated tokens into text, holding back a
// token that ends inside a UTF-8 character until the next one completes it.
type Detokenizer struct {
	h     handle[C.loom_detokenizer]
	model *Model
}

// NewDetokenizer makes a detokenizer over m's vocabulary; renderSpecial
// emits special tokens' text (otherwise they give nothing).
func (m *Model) NewDetokenizer(renderSpecial bool) (*Detokenizer, error) {
	mp, err := m.acquire()
	if err != nil {
		return nil, err
	}
	var out *C.loom_detokenizer
	var msg *C.char
	if err := check(C.lg_detokenizer_new(mp, C.int32_t(boolInt(renderSpecial)), &out, &msg), msg); err != nil {
		m.release()
		return nil, err
	}
	d := &Detokenizer{model: m}
	d.h.init(out, func(p *C.loom_detokenizer) {
		C.loom_detokenizer_free(p)
		m.release()
	})
	runtime.SetFinalizer(d, (*Detokenizer).Close)
	return d, nil
}

// Close frees the detokenizer; later calls do nothing. Always returns nil.
func (d *Detokenizer) Close() error {
	runtime.SetFinalizer(d, nil)
	d.h.close()
	return nil
}

// Push adds a token and returns the text it completes (possibly empty).
func (d *Detokenizer) Push(token int32) (string, error) {
	var s string
	err := d.h.with("detokenizer", func(p *C.loom_detokenizer) error {
		var err error
		s, err = detokPush(p, token)
		return err
	})
	return s, err
}

// Flush ends the stream: it returns the held-back bytes (0 to 3 bytes of an
// unfinished character) and resets the detokenizer.
func (d *Detokenizer) Flush() (string, error) {
	var s string
	err := d.h.with("detokenizer", func(p *C.loom_detokenizer) error {
		var err error
		s, err = detokFlush(p)
		return err
	})
	return s, err
}

func detokPush(p *C.loom_detokenizer, token int32) (string, error) {
	b, err := sized(256, func(buf *byte, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
		return C.lg_detokenizer_push(p, C.int32_t(token), (*C.char)(unsafe.Pointer(buf)), capacity, size, msg)
	})
	return string(b), err
}

func detokFlush(p *C.loom_detokenizer) (string, error) {
	b, err := sized(8, func(buf *byte, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
		return C.lg_detokenizer_flush(p, (*C.char)(unsafe.Pointer(buf)), capacity, size, msg)
	})
	return string(b), err
}
