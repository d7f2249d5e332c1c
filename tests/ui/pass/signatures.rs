//! The shapes of signature an exposed method may have.

use std::collections::HashMap;

#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Node {
    children: Vec<Node>,
}

#[uactor::actor]
impl Node {
    /// `Self` in a signature means the actor's type on the proxy too.
    pub fn adopt(&mut self, child: Self) -> Vec<Self> {
        self.children.push(child);
        self.children.clone()
    }

    pub fn typed_receiver(self: &Self) -> bool {
        true
    }

    pub fn nothing(&self) {}

    pub fn unit(&mut self) -> () {}

    pub fn user_error(&self, fail: bool) -> Result<u8, String> {
        if fail { Err("no".to_owned()) } else { Ok(1) }
    }

    pub fn patterns(&self, (a, b): (i32, i32), mut c: i32, _: u8) -> i32 {
        c += a + b;
        c
    }

    /// A generated name for a pattern cannot clash with the user's names.
    pub fn clash(&self, (x, y): (u8, u8), arg1: u8, call: u8, options: u8) -> u8 {
        x + y + arg1 + call + options
    }

    pub fn map(&self, map: HashMap<String, Vec<u8>>) -> usize {
        map.len()
    }

    pub fn statics(&self, name: std::borrow::Cow<'static, str>) -> std::borrow::Cow<'static, str> {
        if name.is_empty() {
            "empty".into()
        } else {
            name
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn sixteen(
        &self,
        a: u8,
        b: u8,
        c: u8,
        d: u8,
        e: u8,
        f: u8,
        g: u8,
        h: u8,
        i: u8,
        j: u8,
        k: u8,
        l: u8,
        m: u8,
        n: u8,
        o: u8,
        p: u8,
    ) -> u8 {
        a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p
    }

    #[cfg(any())]
    pub fn compiled_out(&self, value: NotSerde) {}

    pub fn r#type(&self) -> u8 {
        0
    }
}

fn use_proxy(node: &NodeProxy) -> uactor::Result<()> {
    let _: Vec<Node> = node.adopt(Node::default())?;
    let _: bool = node.typed_receiver()?;
    node.nothing()?;
    node.unit()?;
    let _: Result<u8, String> = node.user_error(false)?;
    let _: i32 = node.patterns((1, 2), 3, 4)?;
    let _: u8 = node.clash((1, 2), 3, 4, 5)?;
    let _: usize = node.map(HashMap::new())?;
    let _: std::borrow::Cow<'static, str> = node.statics("x".into())?;
    let _: u8 = node.sixteen(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)?;
    let _: u8 = node.r#type()?;
    Ok(())
}

fn main() {
    uactor::init();
    let _ = use_proxy;
    // A method compiled out keeps its index: the ones after it do not move.
    assert_eq!(<Node as uactor::Actor>::method_name(10), None);
    assert_eq!(<Node as uactor::Actor>::method_name(11), Some("type"));
    assert_eq!(<Node as uactor::Actor>::method_name(12), None);
}
