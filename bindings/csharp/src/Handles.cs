// One SafeHandle subclass per loom handle. The runtime calls ReleaseHandle
// exactly once, after the last P/Invoke using the handle returned (the
// marshaller holds a reference during each call), whether the owner is
// disposed or finalized: no double free, no free during a call.
// A handle that needs its model alive (context, detokenizer) holds a
// reference on the model's handle (DangerousAddRef) until it is released
// itself, so disposing a Model before its Contexts is safe: the model is
// freed when the last of them goes.
using System;
using System.Runtime.InteropServices;
using Loom.Native;

namespace Loom
{
    internal abstract class LoomHandle : SafeHandle
    {
        protected LoomHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid => handle == IntPtr.Zero;

        internal void Adopt(IntPtr p) => SetHandle(p);
    }

    internal sealed class ModelHandle : LoomHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.loom_model_free(handle);
            return true;
        }
    }

    // A handle that keeps its model's handle alive until it is released.
    internal abstract class ModelBoundHandle : LoomHandle
    {
        private ModelHandle _model;

        // Takes a reference on `model`; call before creating the native object.
        internal void Bind(ModelHandle model)
        {
            bool added = false;
            model.DangerousAddRef(ref added);
            _model = model;
        }

        protected abstract void Free(IntPtr p);

        protected override bool ReleaseHandle()
        {
            Free(handle);
            _model?.DangerousRelease();
            _model = null;
            return true;
        }

        // For a failed create: drops the model reference taken by Bind.
        internal void Unbind()
        {
            _model?.DangerousRelease();
            _model = null;
        }
    }

    internal sealed class ContextHandle : ModelBoundHandle
    {
        // The abort state the native context points at (abort_user_data).
        internal GCHandle AbortState;

        protected override void Free(IntPtr p)
        {
            NativeMethods.loom_context_free(p);
            if (AbortState.IsAllocated) AbortState.Free();
        }
    }

    internal sealed class DetokenizerHandle : ModelBoundHandle
    {
        protected override void Free(IntPtr p) => NativeMethods.loom_detokenizer_free(p);
    }

    internal sealed class BatchHandle : LoomHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.loom_batch_free(handle);
            return true;
        }
    }

    internal sealed class SamplerHandle : LoomHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.loom_sampler_free(handle);
            return true;
        }
    }
}
