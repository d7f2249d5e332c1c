#[uactor::remote]
pub struct Account {
    balance: u64,
}

#[uactor::remote(typeid = "account")]
impl Account {
    pub async fn slow(&self) -> u64 {
        self.balance
    }

    pub fn name(&self) -> &str {
        "account"
    }
}

#[uactor::remote]
impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.balance)
    }
}

fn main() {}
