//! `#[uactor::remote]` types (typeid `auto`) and the custom typeids actors
//! register them under (`#[uactor::actor(proxies(...))]`).

use uactor::{Error, Shared};

/// A bank account, kept in an actor.
#[derive(Debug)]
pub struct Account {
    owner: String,
    balance: u64,
    history: Shared<Vec<u64>>,
}

#[uactor::remote]
impl Account {
    /// An empty account of `owner`.
    pub fn new(owner: &str) -> Self {
        Account {
            owner: owner.to_owned(),
            balance: 0,
            history: Shared::new(Vec::new()),
        }
    }

    /// Adds `amount`; returns the balance.
    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.history.lock().push(amount);
        self.balance
    }

    /// Takes `amount` out, if it is there.
    pub fn withdraw(&mut self, amount: u64) -> Result<u64, String> {
        self.balance = self
            .balance
            .checked_sub(amount)
            .ok_or_else(|| format!("{} cannot pay {amount}", self.owner))?;
        Ok(self.balance)
    }

    /// Whose account it is.
    pub fn owner(&self) -> String {
        self.owner.clone()
    }

    /// The history stays in the actor too.
    #[uactor(proxy)]
    pub fn history(&self) -> Shared<Vec<u64>> {
        self.history.clone()
    }

    /// Panics.
    pub fn explode(&self) -> u64 {
        panic!("the account exploded")
    }
}

/// Not registered by name anywhere: typeid `auto`.
#[derive(Debug)]
pub struct Note {
    text: String,
}

#[uactor::remote]
impl Note {
    /// What the note says.
    pub fn text(&self) -> String {
        self.text.clone()
    }
}

/// Keeps one account and opens others.
#[derive(Debug)]
pub struct Bank {
    account: Shared<Account>,
}

impl Default for Bank {
    /// A bank with alice's account.
    fn default() -> Self {
        Bank {
            account: Shared::new(Account::new("alice")),
        }
    }
}

#[uactor::actor(proxies(Account))]
impl Bank {
    /// Alice's account, by proxy.
    pub fn account(&self) -> uactor::Result<AccountProxy> {
        uactor::proxy(&self.account)
    }

    /// Alice's account, declared `#[uactor(proxy)]`.
    #[uactor(proxy)]
    pub fn declared(&self) -> Shared<Account> {
        self.account.clone()
    }

    /// A new account, by proxy.
    pub fn open(&self, owner: String) -> uactor::Result<AccountProxy> {
        uactor::proxy(&Shared::new(Account::new(&owner)))
    }

    /// A new note, by proxy (typeid `auto`).
    pub fn note(&self) -> uactor::Result<NoteProxy> {
        uactor::proxy(&Shared::new(Note { text: "hi".into() }))
    }

    /// Alice's account as an `AnyProxy` of typeid `Account`.
    pub fn untyped(&self) -> uactor::Result<uactor::objects::AnyProxy> {
        uactor::objects::proxy_as(&self.account, "Account")
    }

    /// Alice's account asked for as `auto`: an error.
    pub fn wrongly_typed(&self) -> uactor::Result<uactor::objects::AnyProxy> {
        uactor::objects::proxy_as(&self.account, "auto")
    }

    /// Whatever the kept account holds now, seen from inside the actor.
    pub fn balance(&self) -> u64 {
        self.account.lock().balance
    }

    /// How many objects the bank keeps for proxies.
    pub fn objects(&self) -> usize {
        uactor::__private::hosted_objects()
    }
}

/// Pays into an account it was handed, from another process.
#[derive(Debug, Default)]
pub struct Payer;

#[uactor::actor]
impl Payer {
    /// Deposits `amount` into `account`.
    pub fn pay(&self, account: AccountProxy, amount: u64) -> uactor::Result<u64> {
        account.deposit(amount)
    }
}

#[test]
fn a_remote_value_stays_in_its_actor_and_its_methods_run_there() {
    let bank = Bank::spawn().unwrap();
    let account = bank.account().unwrap();
    assert_eq!(account.owner().unwrap(), "alice");
    assert_eq!(account.deposit(10).unwrap(), 10);
    assert_eq!(account.withdraw(3).unwrap(), Ok(7));
    assert_eq!(
        account.withdraw(100).unwrap(),
        Err("alice cannot pay 100".to_owned())
    );
    assert_eq!(bank.balance().unwrap(), 7, "the kept value changed");
    let declared = bank.declared().unwrap();
    assert_eq!(
        declared.deposit(1).unwrap(),
        8,
        "the same value, declared `#[uactor(proxy)]`"
    );
    let history = account.history().unwrap();
    assert_eq!(history.to_vec().unwrap(), [10, 1]);
    assert_eq!(account.address(), bank.address());
}

#[test]
fn registered_types_take_their_name_as_typeid_others_are_auto() {
    let bank = Bank::spawn().unwrap();
    assert_eq!(uactor::typeid(&bank.account().unwrap()), "Account");
    assert_eq!(uactor::typeid(&bank.note().unwrap()), "auto");
    let typeids = Bank::typeids();
    assert!(
        typeids.contains(&"Account") && typeids.contains(&"auto") && typeids.contains(&"actor"),
        "{typeids:?}"
    );
    assert!(!Payer::typeids().contains(&"Account"));
    let untyped = bank.untyped().unwrap();
    assert_eq!(untyped.typeid(), "Account");
    let account: AccountProxy = untyped.downcast().unwrap();
    assert_eq!(account.owner().unwrap(), "alice");
    assert!(matches!(bank.wrongly_typed(), Err(Error::Proxy { .. })));
}

#[test]
fn a_remote_proxy_travels_and_mutates_the_value_where_it_lives() {
    let bank = Bank::spawn().unwrap();
    let payer = Payer::spawn().unwrap();
    let account = bank.open("bob".into()).unwrap();
    assert_eq!(payer.pay(account.clone(), 5).unwrap().unwrap(), 5);
    assert_eq!(payer.pay(account.clone(), 5).unwrap().unwrap(), 10);
    assert_eq!(account.deposit(0).unwrap(), 10);
}

#[test]
fn a_panic_in_a_remote_method_is_an_error_and_the_value_keeps_serving() {
    let bank = Bank::spawn_with(&tests::quiet()).unwrap();
    let account = bank.account().unwrap();
    assert!(
        matches!(account.explode(), Err(Error::Remote { message }) if message.contains("exploded"))
    );
    assert_eq!(account.owner().unwrap(), "alice");
}

#[test]
fn outside_an_actor_process_proxy_is_an_error() {
    let kept = Shared::new(Account::new("carol"));
    assert!(matches!(uactor::proxy(&kept), Err(Error::Proxy { .. })));
}

#[test]
fn dropped_remote_proxies_free_their_values() {
    let bank = Bank::spawn().unwrap();
    let before = bank.objects().unwrap();
    for _ in 0..200 {
        let account = bank.open("temp".into()).unwrap();
        account.deposit(1).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while bank.objects().unwrap() > before {
        assert!(
            std::time::Instant::now() < deadline,
            "{} objects left",
            bank.objects().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
