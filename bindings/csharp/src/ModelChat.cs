// Model: chat templates (loom_chat_apply) and fill-in-the-middle prompts.
// Both give prompt text; tokenize it with special tokens parsed (the default).
using System;
using System.Collections.Generic;
using System.Linq;
using Loom.Native;

namespace Loom
{
    /// <summary>What kind of chat template a model carries (loom_chat_kind).</summary>
    public enum ChatTemplateKind { None = 0, ChatMl = 1, Other = 2 }

    /// <summary>One chat message: Role is "system", "user", "assistant" or "tool".</summary>
    public struct ChatMessage
    {
        public string Role { get; }
        public string Content { get; }

        public ChatMessage(string role, string content)
        {
            Role = role;
            Content = content;
        }

        public static ChatMessage System(string content) => new ChatMessage("system", content);
        public static ChatMessage User(string content) => new ChatMessage("user", content);
        public static ChatMessage Assistant(string content) => new ChatMessage("assistant", content);
        public static ChatMessage Tool(string content) => new ChatMessage("tool", content);
    }

    /// <summary>A context file of a repository-level FIM prompt.</summary>
    public struct FimFile
    {
        public string Path { get; }
        public string Content { get; }

        public FimFile(string path, string content)
        {
            Path = path;
            Content = content;
        }
    }

    public sealed partial class Model
    {
        public ChatTemplateKind ChatTemplateKind
        {
            get
            {
                int kind;
                LoomException.Check(NativeMethods.loom_chat_template_kind(Handle, out kind));
                return (ChatTemplateKind)kind;
            }
        }

        /// <summary>Renders <paramref name="messages"/> with the model's ChatML template.
        /// <paramref name="addGenerationPrompt"/> ends with the assistant's turn opener;
        /// <paramref name="forceChatMl"/> renders ChatML for any template.</summary>
        /// <exception cref="LoomException">InvalidArgument (unknown role), Unsupported (not a
        /// ChatML template and not forced).</exception>
        public string ApplyChat(IEnumerable<ChatMessage> messages, bool addGenerationPrompt = true, bool forceChatMl = false)
        {
            if (messages == null) throw new ArgumentNullException(nameof(messages));
            List<ChatMessage> list = messages.ToList();
            int flags = (addGenerationPrompt ? 1 : 0) | (forceChatMl ? 2 : 0);
            using (var roles = new NativeStringArray(list.Select(m => m.Role).ToList(), "Role"))
            using (var contents = new NativeStringArray(list.Select(m => m.Content).ToList(), "Content"))
            {
                byte[] text = Buffers.Fill((byte[] buf, UIntPtr cap, out UIntPtr size) =>
                    NativeMethods.loom_chat_apply(Handle, roles.Pointers, contents.Pointers, (UIntPtr)list.Count, flags,
                                                  buf, cap, out size), 256);
                return Utf8.Decode(text, text.Length);
            }
        }

        /// <summary>"&lt;|fim_prefix|&gt;{prefix}&lt;|fim_suffix|&gt;{suffix}&lt;|fim_middle|&gt;".</summary>
        /// <exception cref="LoomException">NotFound: the model has no FIM tokens (named).</exception>
        public string FimPrompt(string prefix, string suffix)
        {
            byte[] p = Utf8.Z(prefix, nameof(prefix)), s = Utf8.Z(suffix, nameof(suffix));
            byte[] text = Buffers.Fill((byte[] buf, UIntPtr cap, out UIntPtr size) =>
                NativeMethods.loom_fim_prompt(Handle, p, s, buf, cap, out size), p.Length + s.Length + 64);
            return Utf8.Decode(text, text.Length);
        }

        /// <summary>The repository-level FIM prompt: <paramref name="files"/> as context
        /// before the file being edited, <paramref name="path"/>.</summary>
        public string FimRepoPrompt(string repoName, IEnumerable<FimFile> files, string path, string prefix, string suffix)
        {
            List<FimFile> list = (files ?? Enumerable.Empty<FimFile>()).ToList();
            byte[] r = Utf8.Z(repoName, nameof(repoName)), f = Utf8.Z(path, nameof(path));
            byte[] p = Utf8.Z(prefix, nameof(prefix)), s = Utf8.Z(suffix, nameof(suffix));
            using (var paths = new NativeStringArray(list.Select(x => x.Path).ToList(), "Path"))
            using (var contents = new NativeStringArray(list.Select(x => x.Content).ToList(), "Content"))
            {
                byte[] text = Buffers.Fill((byte[] buf, UIntPtr cap, out UIntPtr size) =>
                    NativeMethods.loom_fim_repo_prompt(Handle, r, paths.Pointers, contents.Pointers, (UIntPtr)list.Count,
                                                       f, p, s, buf, cap, out size), 256);
                return Utf8.Decode(text, text.Length);
            }
        }
    }
}
