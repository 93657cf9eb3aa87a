//! The TUN device on each side, made and configured from inside its
//! namespace.
//!
//! A TUN device hands the forwarder whole IP packets, and sends what the
//! forwarder writes up the namespace's stack; with no offloads asked for
//! (no `IFF_VNET_HDR`), the kernel segments TCP before the device, so a
//! capture on it shows MSS-sized segments, as on a real link. Its
//! addresses and state are set over netlink by a socket opened in the
//! namespace, never by running `ip`: the host's links, routes and qdiscs
//! are never named, let alone touched.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rtnetlink::LinkUnspec;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags};
use tun_rs::{DeviceBuilder, SyncDevice};

use crate::error::{LabError, NetlinkStep};

/// IPv6 needs links of at least this MTU (RFC 8200); below it the kernel
/// turns IPv6 off on the device, and the lab gives it no IPv6 address.
pub const IPV6_MIN_MTU: u16 = 1280;

/// What one side's device is given.
#[derive(Debug, Clone, Copy)]
pub struct DeviceSpec<'a> {
    /// The device's name inside its namespace.
    pub name: &'a str,
    /// Its MTU.
    pub mtu: u16,
    /// Its IPv4 address, in a /24 shared with the other side.
    pub ipv4: Ipv4Addr,
    /// Its IPv6 address, in a /64 shared with the other side.
    pub ipv6: Ipv6Addr,
}

/// Creates and configures the device. Call it from a thread inside the
/// namespace (`Namespace::run`): the device is created where the thread is.
///
/// # Errors
///
/// `Device` if the device cannot be created or the netlink socket opened,
/// `Netlink` if a request fails.
pub fn create(spec: DeviceSpec<'_>) -> Result<SyncDevice, LabError> {
    let device_error = |source: io::Error| LabError::Device {
        name: spec.name.to_owned(),
        source,
    };
    let device = DeviceBuilder::new()
        .name(spec.name)
        .mtu(spec.mtu)
        .build_sync()
        .map_err(device_error)?;
    let index = device.if_index().map_err(device_error)?;
    device.set_nonblocking(true).map_err(device_error)?;
    // A runtime on this short-lived thread only, for rtnetlink's futures;
    // its socket is opened here, so inside the namespace.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(device_error)?;
    runtime.block_on(configure(spec, index))?;
    Ok(device)
}

/// Sets `lo` and the device up and gives the device its addresses; the
/// kernel adds the routes to the other side (the /24 and /64 prefixes).
async fn configure(spec: DeviceSpec<'_>, index: u32) -> Result<(), LabError> {
    let (connection, handle, _messages) =
        rtnetlink::new_connection().map_err(|source| LabError::Device {
            name: spec.name.to_owned(),
            source,
        })?;
    let connection = tokio::spawn(connection);
    let netlink = |step| move |source| LabError::Netlink { step, source };
    let result = async {
        handle
            .link()
            .set(LinkUnspec::new_with_name("lo").up().build())
            .execute()
            .await
            .map_err(netlink(NetlinkStep::LoopbackUp))?;
        handle
            .address()
            .add(index, IpAddr::V4(spec.ipv4), 24)
            .execute()
            .await
            .map_err(netlink(NetlinkStep::Address))?;
        if spec.mtu >= IPV6_MIN_MTU {
            let mut request = handle.address().add(index, IpAddr::V6(spec.ipv6), 64);
            // A point-to-point link has no one to clash with: no duplicate
            // address detection, so the address is usable at once.
            request
                .message_mut()
                .attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
            request
                .execute()
                .await
                .map_err(netlink(NetlinkStep::Address))?;
        }
        handle
            .link()
            .set(LinkUnspec::new_with_index(index).up().build())
            .execute()
            .await
            .map_err(netlink(NetlinkStep::DeviceUp))
    }
    .await;
    connection.abort();
    result
}
