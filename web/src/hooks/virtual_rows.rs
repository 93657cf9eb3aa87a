//! The scroll box of a tall diagram, which draws only the rows in view.
//!
//! A capture of 100,000 packets has 100,000 rows: drawn whole, the page
//! would freeze. The hook keeps where the box stands ([`View`]), so the
//! component draws the rows in view plus a margin
//! ([`VirtualRows::rows`]); it starts a new diagram at the top, and brings
//! the player's current row into view when stepping moves it off screen.
//!
//! Layout is read and changed only between frames: a scroll event is read
//! back after the frame that caused it, and the page's own scrolling waits
//! for the next frame. The hook holds both the timer and the frame request,
//! so unmounting the component (dropping them) cancels what is pending.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

use crate::model::ladder::rows_in_view;
use crate::state::ModelRef;

/// The lengths the box's content is laid out by, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Above the first row, kept in view when a row is brought into view.
    pub header: f64,
    /// One row's height.
    pub row: f64,
    /// The distance between two columns (the diagram's lanes).
    pub column: f64,
    /// Room left of the first column.
    pub margin: f64,
}

/// Where the scroll box stands and how much of the content it shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub top: f64,
    pub height: f64,
    pub left: f64,
    pub width: f64,
}

impl Default for View {
    fn default() -> View {
        View {
            top: 0.0,
            height: 900.0,
            left: 0.0,
            width: 900.0,
        }
    }
}

impl View {
    fn of(element: &web_sys::Element) -> View {
        View {
            top: f64::from(element.scroll_top()),
            height: f64::from(element.client_height()),
            left: f64::from(element.scroll_left()),
            width: f64::from(element.client_width()),
        }
    }

    /// Whether the box moved enough to draw other rows or columns.
    fn differs(&self, other: &View, grid: Grid) -> bool {
        (self.top - other.top).abs() >= grid.row / 2.0
            || (self.left - other.left).abs() >= grid.column / 4.0
            || (self.height - other.height).abs() >= 1.0
            || (self.width - other.width).abs() >= 1.0
    }
}

/// A stretch of the content's width, in pixels from its left edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub left: f64,
    pub right: f64,
}

/// The row to keep in view, and the stretch of width where it is drawn
/// (none when it draws nothing on a column).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    /// Its place among the rows, from the top.
    pub row: usize,
    pub span: Option<Span>,
}

/// A callback at the browser's next frame, cancelled when dropped.
struct Frame {
    id: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Frame {
    /// `None` where there is no window, and so nothing to draw either.
    fn request(then: impl FnOnce() + 'static) -> Option<Frame> {
        let window = web_sys::window()?;
        let callback = Closure::once(then);
        let id = window
            .request_animation_frame(callback.as_ref().unchecked_ref())
            .ok()?;
        Some(Frame {
            id,
            _callback: callback,
        })
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // Cancelling a frame that has already run does nothing.
        if let Some(window) = web_sys::window() {
            let _ = window.cancel_animation_frame(self.id);
        }
    }
}

/// Moves the scroll box at the next frame, when the browser lays the page
/// out anyway: moving it now, in the middle of a render, would force a
/// layout of the whole page, once per batch of live events.
/// The scroll event this causes is marked in `ours`: the view already knows
/// where the box went, and reading it back would force a layout too.
fn scroll_soon(
    element: web_sys::Element,
    to: View,
    ours: Rc<RefCell<bool>>,
    frame: &Rc<RefCell<Option<Frame>>>,
) {
    // Replacing a frame not yet run cancels it: the newer place wins.
    *frame.borrow_mut() = Frame::request(move || {
        element.set_scroll_top(to.top as i32);
        element.set_scroll_left(to.left as i32);
        *ours.borrow_mut() = true;
    });
}

/// Whether `new` is `old` grown: the live session's store, not a new
/// session or another file (which start at the top).
fn continues(old: &ModelRef, new: &ModelRef) -> bool {
    new.same_store(old)
}

/// Where the box would go to show `spot`, from `now`: the row in the middle
/// when it is off screen (or under the header), and its columns at the
/// left when they are off to the side.
fn follow(grid: Grid, now: View, spot: Spot) -> View {
    let mut wanted = now;
    let y = grid.header + spot.row as f64 * grid.row;
    if y < now.top + grid.header || y + grid.row > now.top + now.height {
        wanted.top = (y - now.height / 2.0).max(0.0).round();
    }
    if let Some(span) = spot.span
        && (span.right < now.left || span.left > now.left + now.width)
    {
        wanted.left = (span.left - grid.margin / 2.0).max(0.0).round();
    }
    wanted
}

/// What the diagram was last rendered with.
struct Shown {
    content: ModelRef,
    current: Option<usize>,
}

/// The scroll box's handle, from [`use_virtual_rows`].
#[derive(Clone)]
pub struct VirtualRows {
    /// Goes on the scroll box's element.
    pub scroller: NodeRef,
    /// Goes on the scroll box's `onscroll`.
    pub onscroll: Callback<Event>,
    /// Where the box stood when last scrolled or resized.
    pub view: View,
    grid: Grid,
}

impl VirtualRows {
    /// The rows of `count` in view, plus `overscan` either side.
    pub fn rows(&self, count: usize, overscan: usize) -> Range<usize> {
        rows_in_view(
            count,
            self.view.top - self.grid.header,
            self.view.height,
            self.grid.row,
            overscan,
        )
    }

    /// Whether `span` lies (all but) off to the side of the box.
    pub fn aside(&self, span: Span) -> bool {
        span.right < self.view.left + 20.0 || span.left > self.view.left + self.view.width - 20.0
    }

    /// Scrolls the box sideways so `span` starts near its left edge: for a
    /// click, between frames already.
    pub fn show(&self, span: Span) {
        if let Some(element) = self.scroller.cast::<web_sys::Element>() {
            element.set_scroll_left((span.left - self.grid.margin / 2.0).max(0.0) as i32);
        }
    }
}

/// A scroll box over `content` laid out on `grid`. A new `content` (not the
/// last one grown) starts at the top; while `follow` is set, a new
/// `current` brings its row, `spot`, into view.
#[hook]
pub fn use_virtual_rows(
    grid: Grid,
    content: ModelRef,
    current: Option<usize>,
    follow_current: bool,
    spot: Option<Spot>,
) -> VirtualRows {
    let scroller = use_node_ref();
    // Set when the page itself scrolled the box (see `scroll_soon`).
    let ours = use_mut_ref(|| false);
    let frame = use_mut_ref(|| None::<Frame>);
    let view = use_state(View::default);
    let last = use_mut_ref(|| None::<Shown>);
    {
        let (scroller, view, ours) = (scroller.clone(), view.clone(), ours.clone());
        use_effect_with(
            (content, current, follow_current),
            move |(content, current, follow_current)| {
                // The live session is a new model at every batch of events:
                // it is the same diagram while it only grows.
                let (same, moved) = match last.borrow().as_ref() {
                    Some(shown) => (
                        shown.content == *content || continues(&shown.content, content),
                        shown.current != *current,
                    ),
                    None => (false, false),
                };
                *last.borrow_mut() = Some(Shown {
                    content: content.clone(),
                    current: *current,
                });
                let Some(element) = scroller.cast::<web_sys::Element>() else {
                    return;
                };
                if !same {
                    element.set_scroll_top(0);
                    view.set(View::of(&element));
                } else if *follow_current
                    && moved
                    && let Some(spot) = spot
                {
                    // From where the box stood when last scrolled or
                    // resized: asking the element would force a layout of
                    // the whole page in the middle of every step.
                    let now = *view;
                    let wanted = follow(grid, now, spot);
                    if wanted != now {
                        // Known at once, so the renders before the scroll
                        // event comes back do not ask again.
                        view.set(wanted);
                        scroll_soon(element, wanted, ours, &frame);
                    }
                }
            },
        );
    }
    {
        // A resized window changes the box's height without a scroll.
        let (scroller, view) = (scroller.clone(), view.clone());
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                gloo_events::EventListener::new(&window, "resize", move |_| {
                    if let Some(element) = scroller.cast::<web_sys::Element>() {
                        view.set(View::of(&element));
                    }
                })
            });
            move || drop(listener)
        });
    }
    // Set from a scroll event until the box is read back after it; the
    // timer that reads it is held here, so unmounting cancels it.
    let pending = use_mut_ref(|| false);
    let timer = use_mut_ref(|| None::<Timeout>);
    let onscroll = {
        let (view, scroller) = (view.clone(), scroller.clone());
        Callback::from(move |_: Event| {
            if ours.replace(false) || pending.replace(true) {
                return;
            }
            let (view, scroller, pending) = (view.clone(), scroller.clone(), pending.clone());
            // Read the box once the frame that scrolled it has been laid
            // out: scroll events fire in the middle of a frame, and reading
            // the position there forces a layout of its own. The timer
            // holds no handle on its own slot, so nothing keeps it alive
            // once the component is gone.
            *timer.borrow_mut() = Some(Timeout::new(0, move || {
                *pending.borrow_mut() = false;
                if let Some(element) = scroller.cast::<web_sys::Element>() {
                    let now = View::of(&element);
                    if now.differs(&view, grid) {
                        view.set(now);
                    }
                }
            }));
        })
    };
    VirtualRows {
        scroller,
        onscroll,
        view: *view,
        grid,
    }
}

#[cfg(test)]
mod tests {
    use super::{Grid, Span, Spot, View, follow};

    const GRID: Grid = Grid {
        header: 78.0,
        row: 46.0,
        column: 420.0,
        margin: 240.0,
    };

    fn at(top: f64, left: f64) -> View {
        View {
            top,
            height: 900.0,
            left,
            width: 900.0,
        }
    }

    /// Row `row`, drawn from x = `left` to x = `right`.
    fn spot(row: usize, left: f64, right: f64) -> Spot {
        Spot {
            row,
            span: Some(Span { left, right }),
        }
    }

    #[test]
    fn a_row_in_view_leaves_the_box_where_it_is() {
        assert_eq!(
            follow(GRID, at(0.0, 0.0), spot(3, 240.0, 660.0)),
            at(0.0, 0.0)
        );
    }

    #[test]
    fn a_row_below_the_box_comes_to_its_middle() {
        let spot = Spot {
            row: 1000,
            span: None,
        };
        let y = 78.0 + 1000.0 * 46.0;
        assert_eq!(follow(GRID, at(0.0, 0.0), spot), at(y - 450.0, 0.0));
    }

    #[test]
    fn a_row_under_the_header_comes_down() {
        // Row 10 sits at y = 538, under the header when the box's top is 500.
        let spot = Spot {
            row: 10,
            span: None,
        };
        assert_eq!(follow(GRID, at(500.0, 0.0), spot), at(88.0, 0.0));
    }

    #[test]
    fn lanes_off_to_the_side_come_to_the_left() {
        let wanted = follow(GRID, at(0.0, 0.0), spot(3, 2340.0, 2760.0));
        assert_eq!(wanted, at(0.0, 2220.0));
    }
}
