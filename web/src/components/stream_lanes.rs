//! One direction of a TCP connection as three lanes on one byte axis:
//! the send() calls that wrote the bytes, the segments that carried them,
//! and the recv() chunks that read them. Every byte is coloured by the send
//! it came from, so one recv() holding three sends shows three colours, and
//! a send split over two recv() calls shows its colour in both.

use std::rc::Rc;

use yew::prelude::*;

use super::length::px;
use super::send_class;
use super::shown_stream::ShownStream;
use crate::i18n::{Lang, use_lang, words};
use crate::model::describe::{duration, plural};
use crate::model::stream::{ByteStream, RecvChunk, Shade, Stretch, stretches};

/// How wide the byte axis may grow, in pixels.
const TRACK: f64 = 960.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The lanes render again only when what they show of the stream
    /// changes, not at every step elsewhere.
    pub stream: ShownStream,
    #[prop_or_default]
    pub selected: Option<usize>,
    pub onselect: Callback<usize>,
}

/// Pixels per byte, and whether each byte gets its own cell.
///
/// The scale is a power of two that fits the stream in the track, so it
/// changes only when the stream doubles: while bytes arrive, what is drawn
/// stays where it is (for the eye, and for the browser, which would
/// otherwise lay every block out again at every new byte).
fn scale(total: u64) -> (f64, bool) {
    let total = total.max(1) as f64;
    let cell = (TRACK / total).log2().floor().exp2();
    if cell >= 16.0 {
        (cell.min(32.0), true)
    } else {
        (cell, false)
    }
}

/// The scale as CSS: a power of two, so under one pixel a byte it is
/// written exactly as a fraction (`calc(1/64)`), which a rounded decimal
/// would not be.
fn css_scale(cell: f64) -> String {
    if cell >= 1.0 {
        px(cell)
    } else {
        format!("calc(1/{})", px(1.0 / cell))
    }
}

pub fn glyph(byte: Option<u8>) -> String {
    match byte {
        Some(b' ') => "␣".to_string(),
        Some(b) if b.is_ascii_graphic() => (b as char).to_string(),
        Some(_) => "·".to_string(),
        None => "?".to_string(),
    }
}

struct Block<'a> {
    at: usize,
    offset: u64,
    len: u64,
    kind: &'static str,
    title: Title,
    stream: &'a ByteStream,
}

/// What a block's tooltip says. It is written only for the blocks drawn:
/// a long capture has tens of thousands of segments per lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Title {
    Send {
        ordinal: usize,
    },
    Segment,
    Recv {
        k: usize,
        bufsize: u32,
    },
    /// Neighbouring blocks drawn as one.
    Group {
        count: usize,
    },
}

impl Title {
    fn text(&self, offset: u64, len: u64) -> String {
        match self {
            Title::Send { ordinal } => format!("send #{ordinal} · {}", plural(len, "byte")),
            Title::Segment => format!("segment · bytes {offset}–{}", offset + len),
            Title::Recv { k, bufsize } => {
                format!("recv #{k} ({bufsize}) · {}", plural(len, "byte"))
            }
            Title::Group { count } => format!(
                "{count} blocks · bytes {offset}–{} (click for the first)",
                offset + len
            ),
        }
    }
}

/// Blocks narrower than this many pixels are drawn together: narrower ones
/// cannot be told apart or clicked, and each is DOM the browser must build.
const MIN_BLOCK_PX: f64 = 8.0;
/// Up to this many blocks in a lane are drawn one by one.
const MAX_BLOCKS: usize = 200;

/// A send's bytes narrower than this, in pixels, are drawn together with
/// their neighbours' ([`stretches`]): apart, they could not be seen.
const MIN_PIECE_PX: f64 = 2.0;

/// The widest run of sends drawn together, in pixels: a block of many
/// still shows them as a striped run, not as one send.
const MOST_SEVERAL_PX: f64 = 8.0;

/// A lane of thousands of segments (a long capture) squeezed into the
/// track: neighbours that would share a few pixels become one block, which
/// says how many it stands for, so the lane stays a few hundred elements.
fn coalesce<'a>(blocks: Vec<Block<'a>>, cell: f64) -> Vec<Block<'a>> {
    if blocks.len() <= MAX_BLOCKS {
        return blocks;
    }
    let mut out: Vec<(Block<'a>, usize)> = Vec::new();
    for b in blocks {
        match out.last_mut() {
            Some((group, count))
                if (b.offset as f64 - group.offset as f64) * cell < MIN_BLOCK_PX
                    && b.offset >= group.offset =>
            {
                let end = (group.offset + group.len).max(b.offset + b.len);
                group.len = end - group.offset;
                *count += 1;
            }
            _ => out.push((b, 1)),
        }
    }
    out.into_iter()
        .map(|(mut group, count)| {
            if count > 1 {
                group.title = Title::Group { count };
            }
            group
        })
        .collect()
}

/// What one block draws. A block's bytes and colours never change once it
/// is on screen, and its geometry is in bytes (`--o`, `--n`) against the
/// stream's `--cell` (pixels per byte), so when the axis rescales as bytes
/// arrive, no block renders again: only the new ones do.
#[derive(Properties, PartialEq)]
struct BlockProps {
    at: usize,
    offset: u64,
    len: u64,
    kind: &'static str,
    /// Kept from render to render ([`Looks`]), so compared by pointer.
    look: Rc<BlockLook>,
    selected: bool,
    onselect: Callback<usize>,
}

/// What a block shows, worked out from the sends that wrote its bytes.
#[derive(Debug, PartialEq, Eq)]
struct BlockLook {
    title: String,
    /// The sends whose bytes it holds, in order, comma-separated.
    sends: String,
    /// What it draws, left to right.
    stretches: Vec<Stretch>,
    /// Each byte, when every byte gets a cell of its own.
    bytes: Option<Vec<Option<u8>>>,
    /// So few pixels wide it is drawn as a sliver.
    narrow: bool,
}

/// Which block a look is of: the same block at the same scale looks the
/// same once every send that wrote its bytes is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LookKey {
    kind: &'static str,
    at: usize,
    offset: u64,
    len: u64,
    title: Title,
}

/// The looks of the blocks last drawn, at one scale, lane by lane in the
/// order drawn. Working a look out goes through the sends in its bytes,
/// and a long session's merged blocks hold them all: done at every render
/// it grew with the session. A look is kept once the stream's sends reach
/// past its block (sends come in stream order, so none can join it
/// later). A lane grows at its end and shrinks from it (the player
/// stepping back), so a lane's blocks are found again in the order kept.
#[derive(Default)]
struct Looks {
    scale: Option<(u64, bool)>,
    lanes: [Kept; 3],
}

/// One lane's looks, in the order drawn.
type Kept = Vec<(LookKey, Rc<BlockLook>)>;

impl Looks {
    /// The looks kept for `cell`, `per_byte`: none if the scale changed.
    fn at_scale(&mut self, cell: f64, per_byte: bool) -> [Kept; 3] {
        let scale = Some((cell.to_bits(), per_byte));
        let kept = std::mem::take(&mut self.lanes);
        if self.scale == scale {
            kept
        } else {
            self.scale = scale;
            <[Kept; 3]>::default()
        }
    }
}

#[component]
fn LaneBlock(props: &BlockProps) -> Html {
    let at = props.at;
    let onclick = props.onselect.reform(move |_: MouseEvent| at);
    let look = &props.look;
    let class = classes!(
        "block",
        props.kind,
        look.narrow.then_some("narrow"),
        props.selected.then_some("selected")
    );
    let mut bytes = look.bytes.iter().flatten();
    html! {
        <button type="button" {class} style={format!("--o:{};--n:{}", props.offset, props.len)} title={look.title.clone()}
            data-at={at.to_string()} data-sends={look.sends.clone()} {onclick}>
            { for look.stretches.iter().map(|stretch| {
                let colour = match stretch.shade {
                    Shade::Send(ordinal) => send_class(ordinal),
                    Shade::Unknown => "unknown".to_string(),
                    Shade::Several => "several".to_string(),
                };
                if look.bytes.is_some() {
                    html! { <>{ for bytes.by_ref().take(usize::try_from(stretch.len).unwrap_or(0)).map(|byte| html! {
                        <span class={classes!("byte", colour.clone())}>{ glyph(*byte) }</span>
                    }) }</> }
                } else {
                    html! { <span class={classes!("piece", colour)} style={format!("--n:{}", stretch.len)}></span> }
                }
            }) }
        </button>
    }
}

/// What `b` shows: kept from the last render, or worked out.
fn look(b: &Block<'_>, cell: f64, per_byte: bool) -> BlockLook {
    let bytes = per_byte.then(|| {
        (b.offset..b.offset + b.len)
            .map(|o| b.stream.byte(o))
            .collect()
    });
    let pieces = b.stream.pieces(b.offset, b.len);
    let sends: Vec<String> = pieces
        .iter()
        .filter_map(|p| p.send)
        .map(|s| s.to_string())
        .collect();
    BlockLook {
        title: b.title.text(b.offset, b.len),
        sends: sends.join(","),
        stretches: stretches(&pieces, cell, MIN_PIECE_PX, MOST_SEVERAL_PX),
        bytes,
        narrow: (b.len as f64 * cell) < 10.0,
    }
}

/// How a lane draws its blocks at one render.
struct Drawing<'a> {
    cell: f64,
    per_byte: bool,
    selected: Option<usize>,
    onselect: &'a Callback<usize>,
    /// One past the last byte the stream's sends wrote.
    sends_end: u64,
}

impl Drawing<'_> {
    /// The blocks of one lane, with the looks `kept` of its last render;
    /// the looks to keep for the next are left in `kept`.
    fn blocks(&self, blocks: Vec<Block<'_>>, kept: &mut Kept) -> Html {
        let blocks = coalesce(blocks, self.cell);
        let before = std::mem::take(kept);
        let mut next = before.iter().peekable();
        let html = html! { <>{ for blocks.iter().map(|b| {
            let key = LookKey {
                kind: b.kind,
                at: b.at,
                offset: b.offset,
                len: b.len,
                title: b.title,
            };
            let look = match next.next_if(|(k, _)| *k == key) {
                Some((_, look)) => look.clone(),
                None => Rc::new(look(b, self.cell, self.per_byte)),
            };
            if b.offset + b.len <= self.sends_end {
                kept.push((key, look.clone()));
            }
            html! {
                <LaneBlock key={b.at} at={b.at} offset={b.offset} len={b.len} kind={b.kind} {look}
                    selected={self.selected == Some(b.at)} onselect={self.onselect.clone()} />
            }
        }) }</> };
        html
    }
}

/// How many sentences on glued or split messages are said at most.
const MOST_LESSONS: usize = 4;

/// Sentences on what the learner should notice: glued or split messages,
/// at most [`MOST_LESSONS`]. A long session's stream has thousands of
/// calls, and this runs at every render: each send's readers are found by
/// bisection, not by going through every recv().
fn lessons(lang: Lang, stream: &ByteStream, seen: impl Fn(usize) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let recvs: Vec<_> = stream.recvs.iter().filter(|r| seen(r.at)).collect();
    for (k, r) in recvs.iter().enumerate() {
        if out.len() == MOST_LESSONS {
            return out;
        }
        let sends = stream.sends_in(r.offset, r.data.len() as u64);
        let mut distinct = sends.clone();
        distinct.dedup();
        if distinct.len() > 1 {
            let n = distinct.len();
            out.push(match lang {
                Lang::En => format!(
                    "recv #{k} returned the bytes of {n} send() calls in one chunk: the boundaries between them are gone."
                ),
                Lang::Zh => format!(
                    "第 {k} 次 recv 一次返回了 {n} 次 send() 的字节：它们之间的边界消失了。"
                ),
            });
        }
    }
    for send in stream.sends.iter().filter(|s| seen(s.at)) {
        if out.len() == MOST_LESSONS {
            break;
        }
        let readers = readers(&recvs, send.offset, send.end());
        if readers > 1 {
            let ordinal = send.ordinal;
            out.push(match lang {
                Lang::En => format!(
                    "send #{ordinal} was read by {readers} recv() calls: one message, split."
                ),
                Lang::Zh => {
                    format!("第 {ordinal} 次 send 被 {readers} 次 recv() 读完：一条消息被拆开了。")
                }
            });
        }
    }
    out
}

/// How many of `recvs` read some of the bytes `start..end`. recv() calls
/// read the stream in order: their starts and their ends both grow, so
/// those that end by `start`, and those that start before `end`, are each
/// a prefix of them.
fn readers(recvs: &[&RecvChunk], start: u64, end: u64) -> usize {
    recvs
        .partition_point(|r| r.offset < end)
        .saturating_sub(recvs.partition_point(|r| r.end() <= start))
}

/// Where the page stopped keeping a stream's bytes, and how to keep more.
fn kept_note(lang: Lang, offset: u64, limit: u64) -> String {
    let mib = limit >> 20;
    match lang {
        Lang::En => format!(
            "bytes from offset {offset} on are not kept: the page keeps the first {mib} MiB of each stream \
             (add &{}=N to the address for N MiB); lengths, offsets and counts stay exact",
            crate::model::kept::KEEP_PARAMETER
        ),
        Lang::Zh => format!(
            "从偏移 {offset} 起的字节没有保留：页面只保留每个字节流的前 {mib} MiB（在地址中加上 &{}=N 可保留 N MiB）；长度、偏移和计数仍然准确",
            crate::model::kept::KEEP_PARAMETER
        ),
    }
}

#[component]
pub fn StreamLanes(props: &Props) -> Html {
    let lang = use_lang();
    let model = props.stream.model.get();
    let horizon = props.stream.horizon;
    let Some(conv) = model.conversations.get(props.stream.conversation) else {
        return html! {};
    };
    let d = props.stream.direction;
    let stream = &conv.streams[d];
    let seen = |at: usize| model.shows(horizon, at);
    let (cell, per_byte) = scale(stream.len());
    let track = format!("width:{}px", px(stream.len() as f64 * cell + 4.0));
    let sender = conv.ends[d]
        .socket
        .map(|s| format!(" by #{s}"))
        .unwrap_or_default();
    let reader = conv.ends[1 - d]
        .socket
        .map(|s| format!(" by #{s}"))
        .unwrap_or_default();

    let sends = stream.sends.iter().filter(|s| seen(s.at)).map(|s| Block {
        at: s.at,
        offset: s.offset,
        len: s.data.len() as u64,
        kind: "send",
        title: Title::Send { ordinal: s.ordinal },
        stream,
    });
    let wire = stream.wire.iter().filter(|w| seen(w.at)).map(|w| Block {
        at: w.at,
        offset: w.offset,
        len: u64::from(w.len),
        kind: if w.retransmission {
            "wire retransmission"
        } else {
            "wire"
        },
        title: Title::Segment,
        stream,
    });
    let recvs = stream
        .recvs
        .iter()
        .filter(|r| seen(r.at))
        .enumerate()
        .map(|(k, r)| Block {
            at: r.at,
            offset: r.offset,
            len: r.data.len() as u64,
            kind: "recv",
            title: Title::Recv {
                k,
                bufsize: r.bufsize,
            },
            stream,
        });
    let looks = use_mut_ref(Looks::default);
    let drawing = Drawing {
        cell,
        per_byte,
        selected: props.selected,
        onselect: &props.onselect,
        sends_end: stream.sends_end(),
    };
    let mut kept = looks.borrow_mut().at_scale(cell, per_byte);
    let [kept_sends, kept_wire, kept_recvs] = &mut kept;
    let send_blocks = drawing.blocks(sends.collect(), kept_sends);
    let wire_blocks = drawing.blocks(wire.collect(), kept_wire);
    let recv_blocks = drawing.blocks(recvs.collect(), kept_recvs);
    looks.borrow_mut().lanes = kept;
    let read_end = stream.read_end_when(seen);
    let sent_end = stream
        .sent_end_when(seen)
        .max(stream.carried_end_when(seen));
    // A plain capture file knows no calls: nothing is "waiting" to be read,
    // the reads are simply unknown.
    let unknown = stream.calls_unknown();
    let waiting = if unknown {
        0
    } else {
        sent_end.saturating_sub(read_end)
    };
    let unknown_note = |text: &'static str| {
        if unknown {
            html! { <span class="lane-note calls-unknown">{ text }</span> }
        } else {
            html! {}
        }
    };
    // When each send's last byte left and was acknowledged, as the
    // sender's kernel stamped it: the first few sends of the stream.
    let timings: Vec<Html> = conv.ends[d]
        .socket
        .map(|socket| {
            stream
                .sends
                .iter()
                .filter(|s| seen(s.at))
                .filter_map(|s| {
                    let end = s.end();
                    let timing = model.send_timings.get(&(socket, end))?;
                    let called = model.events.get(s.at)?.t_us;
                    let after = |stamp: Option<(usize, u64)>| {
                        stamp
                            .filter(|(at, _)| seen(*at))
                            .map(|(_, t)| duration(t.saturating_sub(called)))
                    };
                    let (left, acked) = (after(timing.sent), after(timing.acked));
                    if left.is_none() && acked.is_none() {
                        return None;
                    }
                    let text = match (lang, left, acked) {
                        (Lang::En, Some(l), Some(a)) => format!(
                            "send #{}: left after {l}, acknowledged after {a}",
                            s.ordinal
                        ),
                        (Lang::En, Some(l), None) => {
                            format!("send #{}: left after {l}, not acknowledged yet", s.ordinal)
                        }
                        (Lang::En, None, a) => format!(
                            "send #{}: acknowledged after {}",
                            s.ordinal,
                            a.unwrap_or_default()
                        ),
                        (Lang::Zh, Some(l), Some(a)) => {
                            format!("send #{}：{l} 后发出，{a} 后被确认", s.ordinal)
                        }
                        (Lang::Zh, Some(l), None) => {
                            format!("send #{}：{l} 后发出，尚未被确认", s.ordinal)
                        }
                        (Lang::Zh, None, a) => {
                            format!("send #{}：{} 后被确认", s.ordinal, a.unwrap_or_default())
                        }
                    };
                    Some(html! { <li data-end={end.to_string()}>{ text }</li> })
                })
                .take(8)
                .collect()
        })
        .unwrap_or_default();
    let eof = stream.end.filter(|e| seen(e.at));
    let lessons = lessons(lang, stream, seen);
    let lane = |name: String, hint: &'static str, blocks: Html, extra: Html| {
        html! {
            <div class="lane-row">
                <div class="lane-name">{ name }<span class="hint">{ hint }</span></div>
                <div class="lane-track" style={track.clone()}>{ blocks }{ extra }</div>
            </div>
        }
    };
    let waiting_block = (waiting > 0).then(|| html! {
        <div class="waiting" style={format!("--o:{read_end};--n:{waiting}")}
            title={lang.pick("sent, not read yet", "已发送，还没有被读取")}>
            <span>{ match lang { Lang::En => format!("{waiting} waiting"), Lang::Zh => format!("{waiting} 字节等待中") } }</span>
        </div>
    });
    let eof_mark = eof.map(|e| html! {
        <div class="eof" style={format!("--o:{}", e.offset)} title={lang.pick("recv() returned b'': the peer sent FIN", "recv() 返回 b''：对方发送了 FIN")}>{ "EOF" }</div>
    });
    html! {
        <div class="stream" style={format!("--cell:{}", css_scale(cell))} data-conversation={props.stream.conversation.to_string()} data-direction={d.to_string()}>
            <h3>{ words::direction(lang, conv, d) }<span class="meta">{ match lang { Lang::En => format!(" · {}", plural(stream.len(), "byte")), Lang::Zh => format!(" · {} 字节", stream.len()) } }</span></h3>
            if let Some(offset) = stream.kept_until() {
                <p class="kept-note" data-kept-until={offset.to_string()}>{ kept_note(lang, offset, model.keeping.limit()) }</p>
            }
            <div class="lanes-scroll">
                { lane(format!("send(){sender}"), lang.pick("what the program wrote", "程序写入的"), send_blocks,
                    unknown_note(lang.pick("unknown: a capture file does not record send() calls", "未知：抓包文件不记录 send() 调用"))) }
                { lane(lang.pick("segments", "报文段").to_string(), lang.pick("what crossed the wire", "线路上传送的"), wire_blocks,
                    if stream.wire.is_empty() && !stream.sends.is_empty() {
                        html! { <span class="lane-note">{ lang.pick("no segments captured", "没有抓到报文段") }</span> }
                    } else {
                        html! {}
                    }) }
                { lane(format!("recv(){reader}"), lang.pick("what each call returned", "每次调用返回的"), recv_blocks,
                    html! { <>{ for waiting_block }{ for eof_mark }{ unknown_note(lang.pick("unknown: a capture file does not record how recv() calls split these bytes", "未知：抓包文件不记录 recv() 调用如何切分这些字节")) }</> }) }
            </div>
            if !timings.is_empty() {
                <ul class="send-times" title={lang.pick("the sender's kernel stamped when each send()'s last byte left and when the peer's ACK covered it (SO_TIMESTAMPING)", "发送方内核记录了每次 send() 的最后一个字节何时发出、何时被对方的 ACK 覆盖（SO_TIMESTAMPING）")}>
                    { for timings }
                </ul>
            }
            if !lessons.is_empty() {
                <ul class="lessons">{ for lessons.iter().map(|l| html! { <li>{ l }</li> }) }</ul>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockscope_shared::Framing;

    /// Sends of `sends` bytes, read back by recv() calls of `recvs` bytes.
    fn stream(sends: &[usize], recvs: &[usize]) -> ByteStream {
        let mut stream = ByteStream::default();
        let mut offset = 0;
        for (i, &len) in sends.iter().enumerate() {
            let data = vec![b'x'; len].into();
            stream.add_send(i, i as u64, offset, data, 0, Framing::None);
            offset += len as u64;
        }
        let mut offset = 0;
        for (i, &len) in recvs.iter().enumerate() {
            let at = sends.len() + i;
            stream.add_recv(at, at as u64, offset, vec![b'x'; len].into(), 1024);
            offset += len as u64;
        }
        stream
    }

    /// Draws the wire lane of `stream` with the looks `kept` from before,
    /// and returns the looks kept for the next render.
    fn draw_wire(stream: &ByteStream, mut kept: Kept) -> Kept {
        let onselect = Callback::noop();
        let drawing = Drawing {
            cell: 16.0,
            per_byte: true,
            selected: None,
            onselect: &onselect,
            sends_end: stream.sends_end(),
        };
        let blocks = stream
            .wire
            .iter()
            .map(|w| Block {
                at: w.at,
                offset: w.offset,
                len: u64::from(w.len),
                kind: "wire",
                title: Title::Segment,
                stream,
            })
            .collect();
        let _ = drawing.blocks(blocks, &mut kept);
        kept
    }

    #[test]
    fn a_blocks_look_is_kept_only_once_the_sends_of_its_bytes_are_known() {
        let mut stream = ByteStream::default();
        stream.syn_seen = true;
        // The segment is captured before the send() that wrote it returns.
        stream.add_segment(0, 0, 1, 5, &b"hello".to_vec().into());
        let kept = draw_wire(&stream, Vec::new());
        assert!(
            kept.is_empty(),
            "a look of bytes no known send wrote is not kept"
        );
        stream.add_send(1, 1, 0, b"hello".to_vec().into(), 0, Framing::None);
        let kept = draw_wire(&stream, kept);
        assert_eq!(kept.len(), 1);
        let look = &kept[0].1;
        assert_eq!(look.sends, "0");
        assert_eq!(
            look.stretches.first().map(|s| s.shade),
            Some(Shade::Send(0))
        );
        // The next render takes the same look, not a new one; a block
        // added behind it gets its own.
        stream.add_segment(2, 2, 6, 3, &b"abc".to_vec().into());
        stream.add_send(3, 3, 5, b"abc".to_vec().into(), 0, Framing::None);
        let again = draw_wire(&stream, kept.clone());
        assert_eq!(again.len(), 2);
        assert!(Rc::ptr_eq(look, &again[0].1));
        assert_eq!(again[1].1.sends, "1");
    }

    proptest::proptest! {
        /// The bisection counts what going through every recv() counts.
        #[test]
        fn readers_by_bisection_are_those_that_overlap(
            lens in proptest::collection::vec(0usize..6, 0..40),
            start in 0u64..120,
            len in 1u64..30,
        ) {
            let stream = stream(&[], &lens);
            let recvs: Vec<&RecvChunk> = stream.recvs.iter().collect();
            let end = start + len;
            let overlapping = recvs
                .iter()
                .filter(|r| r.offset < end && start < r.end())
                .count();
            proptest::prop_assert_eq!(readers(&recvs, start, end), overlapping);
        }
    }

    #[test]
    fn glued_and_split_messages_are_named_at_most_four_times() {
        // Sends of 5 and 5 bytes read as one; one of 10 read as 4 and 6.
        let said = lessons(Lang::En, &stream(&[5, 5, 10], &[10, 4, 6]), |_| true);
        assert_eq!(
            said,
            [
                "recv #0 returned the bytes of 2 send() calls in one chunk: the boundaries between them are gone.",
                "send #2 was read by 2 recv() calls: one message, split.",
            ]
        );
        // Each send read by exactly one recv(): nothing to say.
        assert!(lessons(Lang::En, &stream(&[3; 500], &[3; 500]), |_| true).is_empty());
        // A hundred split sends: four sentences.
        let split = lessons(Lang::En, &stream(&[2; 100], &[1; 200]), |_| true);
        assert_eq!(split.len(), MOST_LESSONS);
        assert_eq!(
            split[0],
            "send #0 was read by 2 recv() calls: one message, split."
        );
        // What the player has not reached yet is not counted.
        assert!(lessons(Lang::En, &stream(&[2; 100], &[1; 200]), |at| at < 100).is_empty());
    }
}
