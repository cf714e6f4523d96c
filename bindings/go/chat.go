package loom

// #include "shim.h"
import "C"

import "unsafe"

// ChatMessage is one turn of a conversation: Role is "system", "user",
// "assistant" or "tool".
type ChatMessage struct {
	Role, Content string
}

// ChatFlags are loom_chat_apply's flags (bitwise or).
type ChatFlags int32

const (
	// AddGenerationPrompt ends the text with "<|im_start|>assistant\n".
	AddGenerationPrompt ChatFlags = C.LOOM_CHAT_ADD_GENERATION_PROMPT
	// ForceChatML renders ChatML even when the model's template is another one.
	ForceChatML ChatFlags = C.LOOM_CHAT_FORCE_CHATML
)

// ChatKind is the kind of a model's chat template (loom_chat_kind).
type ChatKind int32

const (
	ChatKindNone   ChatKind = C.LOOM_CHAT_KIND_NONE
	ChatKindChatML ChatKind = C.LOOM_CHAT_KIND_CHATML
	ChatKindOther  ChatKind = C.LOOM_CHAT_KIND_OTHER
)

// ChatTemplateKind is the kind of the model's chat template.
func (m *Model) ChatTemplateKind() (ChatKind, error) {
	var kind C.int32_t
	err := m.read(func(p *C.loom_model) error {
		var msg *C.char
		return check(C.lg_chat_template_kind(p, &kind, &msg), msg)
	})
	return ChatKind(kind), err
}

// ApplyChat renders messages into prompt text with the model's ChatML
// template (tokenize the result with ParseSpecial).
func (m *Model) ApplyChat(messages []ChatMessage, flags ChatFlags) (string, error) {
	roles := make([]string, len(messages))
	contents := make([]string, len(messages))
	for i, msg := range messages {
		roles[i], contents[i] = msg.Role, msg.Content
	}
	cr, cc := newCStrings(roles), newCStrings(contents)
	defer cr.free()
	defer cc.free()
	return m.text(func(p *C.loom_model, buf *C.char, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
		return C.lg_chat_apply(p, cr.ptr(), cc.ptr(), C.size_t(len(messages)), C.int32_t(flags), buf, capacity, size, msg)
	})
}

// FIMFile is one context file of a repository-level fill-in-the-middle prompt.
type FIMFile struct {
	Path, Content string
}

// FIMPrompt builds "<|fim_prefix|>prefix<|fim_suffix|>suffix<|fim_middle|>"
// (Qwen2.5-Coder); ErrNotFound names a special token the model lacks.
func (m *Model) FIMPrompt(prefix, suffix string) (string, error) {
	cs := newCStrings([]string{prefix, suffix})
	defer cs.free()
	return m.text(func(p *C.loom_model, buf *C.char, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
		return C.lg_fim_prompt(p, cs[0], cs[1], buf, capacity, size, msg)
	})
}

// FIMRepoPrompt is the repository-level form: files give context, path is
// the file being edited.
func (m *Model) FIMRepoPrompt(repo string, files []FIMFile, path, prefix, suffix string) (string, error) {
	paths := make([]string, len(files))
	contents := make([]string, len(files))
	for i, f := range files {
		paths[i], contents[i] = f.Path, f.Content
	}
	cp, cc := newCStrings(paths), newCStrings(contents)
	args := newCStrings([]string{repo, path, prefix, suffix})
	defer cp.free()
	defer cc.free()
	defer args.free()
	return m.text(func(p *C.loom_model, buf *C.char, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
		return C.lg_fim_repo_prompt(p, args[0], cp.ptr(), cc.ptr(), C.size_t(len(files)), args[1], args[2], args[3],
			buf, capacity, size, msg)
	})
}

type modelTextCall func(p *C.loom_model, buf *C.char, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status

// text runs a model function that writes text into a sized buffer.
func (m *Model) text(call modelTextCall) (string, error) {
	var s string
	err := m.read(func(p *C.loom_model) error {
		b, err := sized(1024, func(buf *byte, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
			return call(p, (*C.char)(unsafe.Pointer(buf)), capacity, size, msg)
		})
		s = string(b)
		return err
	})
	return s, err
}
