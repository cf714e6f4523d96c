//! Chat templates (loom_chat_apply, loom_chat_apply_tools) and fill-in-the-middle prompts
//! (loom_fim_prompt, loom_fim_repo_prompt): text in, prompt text out.
use crate::error::Result;
use crate::model::Model;
use crate::sys;
use crate::util::{cstring, sized_call};
use std::ffi::CString;
use std::os::raw::c_char;

/// Who speaks a chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    /// The role's name in the template ("system", "user", "assistant", "tool").
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One chat message: a role and its UTF-8 text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> ChatMessage {
        ChatMessage { role, content: content.into() }
    }
    pub fn system(content: impl Into<String>) -> ChatMessage {
        ChatMessage::new(Role::System, content)
    }
    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage::new(Role::User, content)
    }
    pub fn assistant(content: impl Into<String>) -> ChatMessage {
        ChatMessage::new(Role::Assistant, content)
    }
}

/// How to render a chat (LOOM_CHAT_* flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChatOptions {
    /// End with the assistant's opening ("<|im_start|>assistant\n").
    pub add_generation_prompt: bool,
    /// Render ChatML even when the model's template is not ChatML.
    pub force_chatml: bool,
}

fn c_strings(what: &str, items: &[&str]) -> Result<Vec<CString>> {
    items.iter().map(|s| cstring(what, s)).collect()
}

fn ptrs(items: &[CString]) -> Vec<*const c_char> {
    items.iter().map(|s| s.as_ptr()).collect()
}

fn into_text(bytes: Vec<u8>) -> String {
    // loom builds these from the caller's UTF-8 and the vocabulary's texts.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl Model {
    /// The prompt text of `messages` rendered with the model's chat template.
    /// Tokenize it with `Model::tokenize` (special tokens parsed).
    pub fn chat_apply(&self, messages: &[ChatMessage], options: ChatOptions) -> Result<String> {
        let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
        let contents: Vec<&str> = messages.iter().map(|m| m.content.as_str()).collect();
        let (roles, contents) = (c_strings("a role", &roles)?, c_strings("a message", &contents)?);
        let (role_ptrs, content_ptrs) = (ptrs(&roles), ptrs(&contents));
        let flags = if options.add_generation_prompt { sys::LOOM_CHAT_ADD_GENERATION_PROMPT } else { 0 }
            | if options.force_chatml { sys::LOOM_CHAT_FORCE_CHATML } else { 0 };
        let guess = contents.iter().map(|c| c.as_bytes().len() + 32).sum::<usize>() + 128;
        let bytes: Vec<u8> = sized_call(guess, |buf: *mut u8, cap, n| unsafe {
            sys::loom_chat_apply(
                self.raw(),
                role_ptrs.as_ptr(),
                content_ptrs.as_ptr(),
                messages.len(),
                flags,
                buf.cast(),
                cap,
                n,
            )
        })?;
        Ok(into_text(bytes))
    }

    /// `chat_apply` with tools, as Qwen2.5's template renders them:
    /// `tools` is the JSON text of OpenAI's tool list (None: no tools);
    /// `tool_calls[i]` the JSON text of message i's tool calls (OpenAI's
    /// shape; None or a shorter slice: none). Unsupported for a template
    /// without tool support (Qwen2's).
    pub fn chat_apply_tools(
        &self,
        messages: &[ChatMessage],
        tool_calls: &[Option<&str>],
        tools: Option<&str>,
        options: ChatOptions,
    ) -> Result<String> {
        let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
        let contents: Vec<&str> = messages.iter().map(|m| m.content.as_str()).collect();
        let (roles, contents) = (c_strings("a role", &roles)?, c_strings("a message", &contents)?);
        let calls: Vec<Option<CString>> = (0..messages.len())
            .map(|i| tool_calls.get(i).copied().flatten().map(|c| cstring("tool calls", c)).transpose())
            .collect::<Result<_>>()?;
        let call_ptrs: Vec<*const c_char> =
            calls.iter().map(|c| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())).collect();
        let tools = tools.map(|t| cstring("the tools", t)).transpose()?;
        let (role_ptrs, content_ptrs) = (ptrs(&roles), ptrs(&contents));
        let flags = if options.add_generation_prompt { sys::LOOM_CHAT_ADD_GENERATION_PROMPT } else { 0 }
            | if options.force_chatml { sys::LOOM_CHAT_FORCE_CHATML } else { 0 };
        let guess = contents.iter().map(|c| c.as_bytes().len() + 32).sum::<usize>()
            + calls.iter().flatten().map(|c| c.as_bytes().len() + 64).sum::<usize>()
            + tools.as_ref().map_or(0, |t| t.as_bytes().len() * 2 + 512)
            + 128;
        let bytes: Vec<u8> = sized_call(guess, |buf: *mut u8, cap, n| unsafe {
            sys::loom_chat_apply_tools(
                self.raw(),
                role_ptrs.as_ptr(),
                content_ptrs.as_ptr(),
                call_ptrs.as_ptr(),
                messages.len(),
                tools.as_ref().map_or(std::ptr::null(), |t| t.as_ptr()),
                flags,
                buf.cast(),
                cap,
                n,
            )
        })?;
        Ok(into_text(bytes))
    }

    /// "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>" with the
    /// model's own FIM tokens (Qwen2.5-Coder); NotFound when it has none.
    pub fn fim_prompt(&self, prefix: &str, suffix: &str) -> Result<String> {
        let (p, s) = (cstring("the prefix", prefix)?, cstring("the suffix", suffix)?);
        let bytes: Vec<u8> = sized_call(prefix.len() + suffix.len() + 64, |buf: *mut u8, cap, n| unsafe {
            sys::loom_fim_prompt(self.raw(), p.as_ptr(), s.as_ptr(), buf.cast(), cap, n)
        })?;
        Ok(into_text(bytes))
    }

    /// The repository-level FIM prompt: `files` are (path, content) pairs of
    /// context files before the file `path` being edited.
    pub fn fim_repo_prompt(
        &self,
        repo_name: &str,
        files: &[(&str, &str)],
        path: &str,
        prefix: &str,
        suffix: &str,
    ) -> Result<String> {
        let paths: Vec<&str> = files.iter().map(|f| f.0).collect();
        let contents: Vec<&str> = files.iter().map(|f| f.1).collect();
        let (paths, contents) = (c_strings("a file path", &paths)?, c_strings("a file content", &contents)?);
        let (path_ptrs, content_ptrs) = (ptrs(&paths), ptrs(&contents));
        let repo = cstring("the repository name", repo_name)?;
        let (c_path, p, s) =
            (cstring("the path", path)?, cstring("the prefix", prefix)?, cstring("the suffix", suffix)?);
        let guess = files.iter().map(|f| f.0.len() + f.1.len() + 16).sum::<usize>() + prefix.len() + suffix.len() + 256;
        let bytes: Vec<u8> = sized_call(guess, |buf: *mut u8, cap, n| unsafe {
            sys::loom_fim_repo_prompt(
                self.raw(),
                repo.as_ptr(),
                path_ptrs.as_ptr(),
                content_ptrs.as_ptr(),
                files.len(),
                c_path.as_ptr(),
                p.as_ptr(),
                s.as_ptr(),
                buf.cast(),
                cap,
                n,
            )
        })?;
        Ok(into_text(bytes))
    }
}
