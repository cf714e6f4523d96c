//! The Vulkan devices loom can run on (loom_vulkan_devices).
use crate::error::{check, Result};
use crate::sys;
use std::ffi::CStr;

/// Kind of a Vulkan device (loom_device_type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    Other,
    IntegratedGpu,
    DiscreteGpu,
    VirtualGpu,
    /// A software rasterizer such as lavapipe (used only when asked for).
    Cpu,
    Unknown(i32),
}

/// One Vulkan device as the loader reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VulkanDevice {
    /// The value for `ModelBuilder::device_index`.
    pub index: i32,
    pub kind: DeviceKind,
    pub vendor_id: u32,
    pub device_id: u32,
    /// VK_MAKE_API_VERSION encoding.
    pub api_version: u32,
    pub subgroup_size: u32,
    pub device_local_bytes: u64,
    pub name: String,
}

fn empty_info() -> sys::loom_vulkan_device_info {
    // SAFETY: plain data; all-zero is a valid value.
    let mut info: sys::loom_vulkan_device_info = unsafe { std::mem::zeroed() };
    info.struct_size = std::mem::size_of::<sys::loom_vulkan_device_info>();
    info
}

fn device(info: &sys::loom_vulkan_device_info) -> VulkanDevice {
    VulkanDevice {
        index: info.index,
        kind: match info.r#type {
            sys::LOOM_DEVICE_OTHER => DeviceKind::Other,
            sys::LOOM_DEVICE_INTEGRATED_GPU => DeviceKind::IntegratedGpu,
            sys::LOOM_DEVICE_DISCRETE_GPU => DeviceKind::DiscreteGpu,
            sys::LOOM_DEVICE_VIRTUAL_GPU => DeviceKind::VirtualGpu,
            sys::LOOM_DEVICE_CPU => DeviceKind::Cpu,
            other => DeviceKind::Unknown(other),
        },
        vendor_id: info.vendor_id,
        device_id: info.device_id,
        api_version: info.api_version,
        subgroup_size: info.subgroup_size,
        device_local_bytes: info.device_local_bytes,
        // SAFETY: loom writes a NUL-terminated name into the 256 bytes.
        name: unsafe { CStr::from_ptr(info.name.as_ptr()) }.to_string_lossy().into_owned(),
    }
}

/// The Vulkan devices. `Status::Unsupported` (with the reason) when loom was
/// built without Vulkan or the machine has no loader or driver.
pub fn vulkan_devices() -> Result<Vec<VulkanDevice>> {
    let mut count = 0usize;
    let st = unsafe { sys::loom_vulkan_devices(std::ptr::null_mut(), 0, &mut count) };
    if st != sys::LOOM_ERR_BUFFER_TOO_SMALL {
        check(st)?;
    }
    let mut infos = vec![empty_info(); count];
    check(unsafe { sys::loom_vulkan_devices(infos.as_mut_ptr(), infos.len(), &mut count) })?;
    Ok(infos.iter().take(count).map(device).collect())
}
