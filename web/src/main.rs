//! Entry point of the page: mounts the app on `<body>`.

fn main() {
    yew::Renderer::<sockscope_web::components::app::App>::new().render();
}
