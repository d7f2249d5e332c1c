//! `#[uactor::remote]` gives any type a proxy; `uactor::proxy(&shared)` is
//! typed by it; `proxies(...)` registers it under its own typeid.

use uactor::Shared;

pub struct Account {
    balance: u64,
}

#[uactor::remote]
impl Account {
    /// Not exposed: no receiver.
    pub fn new(balance: u64) -> Self {
        Account { balance }
    }

    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// Handed out by proxy, as in an actor.
    #[uactor(proxy)]
    pub fn history(&self) -> Shared<Vec<u64>> {
        Shared::new(vec![self.balance])
    }

    #[uactor(skip)]
    pub fn local(&self) -> &u64 {
        &self.balance
    }

    fn private(&self) {}
}

pub struct Bank {
    account: Shared<Account>,
}

#[uactor::actor(proxies(Account))]
impl Bank {
    pub fn new() -> Self {
        Bank {
            account: Shared::new(Account::new(0)),
        }
    }

    pub fn account(&self) -> uactor::Result<AccountProxy> {
        uactor::proxy(&self.account)
    }

    #[uactor(proxy)]
    pub fn same_account(&self) -> Shared<Account> {
        self.account.clone()
    }

    pub fn transfer(&self, to: AccountProxy, amount: u64) -> uactor::Result<u64> {
        to.deposit(amount)
    }
}

fn assert_travels<
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
>() {
}

fn use_proxy(bank: &BankProxy) -> uactor::Result<()> {
    let account: AccountProxy = bank.account()?;
    let _: u64 = account.deposit(5)?;
    let _: u64 = account.balance()?;
    let _: uactor::ListProxy<u64> = account.history()?;
    let _: &str = uactor::typeid(&account);
    let _: uactor::Address = account.address();
    let _: uactor::Method<(u64,), u64> = account.deposit_ref();
    let _: AccountProxy = bank.same_account()?;
    let _: u64 = bank.transfer(account.clone(), 1)??;
    let _: Vec<&'static str> = Bank::typeids();
    Ok(())
}

fn main() {
    uactor::init();
    assert_travels::<AccountProxy>();
    assert_travels::<uactor::Method<(u64,), u64>>();
    assert!(Bank::typeids().contains(&"Account"));
    assert!(Bank::typeids().contains(&"auto"));
    assert!(matches!(
        uactor::proxy(&Shared::new(Account::new(1))),
        Err(uactor::Error::Proxy { .. })
    ));
    let _ = use_proxy;
    Account::new(0).private();
    let _ = Account::new(0).local();
}
